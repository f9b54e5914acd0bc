package org.smpcluster.bootloader;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The CPU a JVM's garbage collector used, from {@code /proc/PID/task/TID/stat}: the clock ticks
 * (user + system) of its GC threads ({@code GC Thread#N}, the G1 threads) and of its VM thread,
 * which runs the serial collector's pauses (and the other safepoint operations, all short).
 * The watchdog reads it only for a vnode whose heartbeat is stale.
 */
final class GcTicks {

    private static final Path PROC = Path.of("/proc");

    private GcTicks() {
    }

    /** The GC threads' ticks of process {@code pid}; 0 when it is gone or /proc cannot say. */
    static long of(long pid) {
        long ticks = 0;
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(PROC.resolve(Long.toString(pid)).resolve("task"))) {
            for (Path task : tasks) {
                String stat;
                try {
                    stat = Files.readString(task.resolve("stat"));
                } catch (IOException gone) {
                    continue; // the thread ended meanwhile
                }
                ticks += gcTicks(stat);
            }
        } catch (IOException | java.nio.file.DirectoryIteratorException e) {
            return 0;
        }
        return ticks;
    }

    /** Whether process {@code pid} is stopped (SIGSTOP, or a debugger): then nothing in it runs. */
    static boolean stopped(long pid) {
        try {
            String stat = Files.readString(PROC.resolve(Long.toString(pid)).resolve("stat"));
            char state = fieldsAfterName(stat)[0].charAt(0);
            return state == 'T' || state == 't';
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** One thread's line of /proc/PID/task/TID/stat: its utime + stime if it is a GC thread, else 0. */
    static long gcTicks(String stat) {
        int open = stat.indexOf('(');
        int close = stat.lastIndexOf(')');
        if (open < 0 || close < open) {
            return 0;
        }
        if (!isGcThread(stat.substring(open + 1, close))) {
            return 0;
        }
        String[] f = fieldsAfterName(stat);
        // After "pid (comm)": state is field 3, utime 14, stime 15 (proc(5)).
        try {
            return Long.parseLong(f[11]) + Long.parseLong(f[12]);
        } catch (RuntimeException malformed) {
            return 0;
        }
    }

    static boolean isGcThread(String name) {
        return name.equals("VM Thread") || name.startsWith("GC Thread") || name.startsWith("G1 Conc")
                || name.startsWith("G1 Refine") || name.startsWith("G1 Main") || name.startsWith("G1 Young");
    }

    private static String[] fieldsAfterName(String stat) {
        return stat.substring(stat.lastIndexOf(')') + 2).strip().split(" ");
    }
}
