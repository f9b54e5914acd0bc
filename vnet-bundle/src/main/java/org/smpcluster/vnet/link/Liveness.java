package org.smpcluster.vnet.link;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Whether the driver of a station is gone for good: what a jabber cut asks before it takes the
 * carrier from a holder (see {@link Station}). A holder that is only slow (preempted, stopped
 * by a debugger or a signal, in a GC pause) must keep the carrier and finish its frame; one
 * whose process has died never will, and its wire must be free within
 * {@link WireParams#MAX_JABBER}.
 */
@FunctionalInterface
public interface Liveness {

    /** Whether the station of {@code vnode} whose driver runs in process {@code pid} is gone. */
    boolean gone(int vnode, long pid);

    /**
     * By the process alone: gone when {@code /proc/PID/stat} is missing, says zombie (a
     * process killed by SIGKILL is a zombie until its parent reaps it, and a zombie holds
     * nothing any more), says it is exiting or has SIGKILL pending. Where there is no {@code /proc}, by
     * {@link ProcessHandle}.
     */
    Liveness PROCESS = (vnode, pid) -> !alive(pid);

    /** Whether process {@code pid} runs (a stopped process runs; an exiting one or a zombie does not). */
    static boolean alive(long pid) {
        if (pid <= 0) {
            return false;
        }
        if (pid == ProcessHandle.current().pid()) {
            return true;
        }
        byte[] stat;
        try {
            stat = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "stat"));
        } catch (NoSuchFileException e) {
            return !Files.isDirectory(Path.of("/proc/self")) && ProcessHandle.of(pid).map(ProcessHandle::isAlive)
                    .orElse(false);
        } catch (IOException e) {
            // unreadable (another user's process?): it exists; let the other signs decide
            return true;
        }
        // "PID (COMM) S PPID PGRP SESSION TTY TPGID FLAGS ...": the command may hold spaces and
        // parentheses, so the fields are counted from the last ')'.
        int close = -1;
        for (int i = stat.length - 1; i > 0; i--) {
            if (stat[i] == ')') {
                close = i;
                break;
            }
        }
        if (close < 0 || close + 2 >= stat.length) {
            return true;
        }
        int state = stat[close + 2];
        if (state == 'Z' || state == 'X' || state == 'x') {
            return false; // exited: a zombie until its parent reaps it
        }
        // Killed, it is gone before it is a zombie: SIGKILL is pending from the moment it is
        // sent (even while the process waits for a CPU to die on), PF_EXITING is set as its
        // exit begins, and tearing down a JVM's memory takes milliseconds more.
        String[] fields = new String(stat, close + 2, stat.length - close - 2, java.nio.charset.StandardCharsets.US_ASCII)
                .split(" ", 30);
        try {
            if (fields.length > 6 && (Long.parseLong(fields[6]) & PF_EXITING) != 0) {
                return false;
            }
            return fields.length <= 28 || (Long.parseLong(fields[28]) & SIGKILL_PENDING) == 0;
        } catch (NumberFormatException e) {
            return true;
        }
    }

    /** The kernel's task flag "getting shut down" (include/linux/sched.h), field 9 of /proc/PID/stat. */
    long PF_EXITING = 0x4;

    /** SIGKILL (9) in the pending-signal mask, field 31 of /proc/PID/stat. */
    long SIGKILL_PENDING = 1L << 8;
}
