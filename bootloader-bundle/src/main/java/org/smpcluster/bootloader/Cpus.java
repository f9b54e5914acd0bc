package org.smpcluster.bootloader;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/** The host's CPUs, and pinning processes to them (taskset). */
final class Cpus {

    private static final Path ONLINE = Path.of("/sys/devices/system/cpu/online");

    private Cpus() {
    }

    /** The CPUs online on this machine, whatever this process is pinned to. */
    static List<Integer> online() {
        try {
            return parse(Files.readString(ONLINE).strip());
        } catch (IOException e) {
            List<Integer> all = new ArrayList<>();
            for (int c = 0; c < Runtime.getRuntime().availableProcessors(); c++) {
                all.add(c);
            }
            return all;
        }
    }

    /** "0-2,4" as [0, 1, 2, 4]. */
    static List<Integer> parse(String list) {
        List<Integer> cpus = new ArrayList<>();
        for (String part : list.split(",")) {
            String p = part.strip();
            if (p.isEmpty()) {
                continue;
            }
            int dash = p.indexOf('-');
            int from = Integer.parseInt(dash < 0 ? p : p.substring(0, dash));
            int to = dash < 0 ? from : Integer.parseInt(p.substring(dash + 1));
            if (from > to) {
                throw new IllegalArgumentException("CPU range '" + p + "' runs backwards");
            }
            for (int c = from; c <= to; c++) {
                cpus.add(c);
            }
        }
        return cpus;
    }

    /** Pins every thread of process {@code pid}, and those it starts later, to {@code cpus}. */
    static void pinProcess(long pid, List<Integer> cpus) {
        String list = cpus.stream().map(String::valueOf).collect(Collectors.joining(","));
        try {
            String out = "";
            // taskset -a walks the process's threads; one that ends meanwhile fails the walk
            // ("No such process"), so walk again.
            for (int attempt = 0; attempt < 5; attempt++) {
                Process p = new ProcessBuilder("taskset", "-a", "-p", "-c", list, Long.toString(pid))
                        .redirectErrorStream(true).start();
                out = new String(p.getInputStream().readAllBytes());
                if (p.waitFor() == 0) {
                    return;
                }
                if (!out.contains("No such process")) {
                    break;
                }
            }
            throw new IllegalStateException("taskset could not pin pid " + pid + " to CPUs " + list + ": " + out.strip());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run taskset", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted pinning pid " + pid, e);
        }
    }
}
