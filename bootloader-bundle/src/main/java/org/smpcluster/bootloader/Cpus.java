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

    /** The highest CPU id a list may name (Linux's NR_CPUS is at most 8192). */
    static final int MAX_CPU = 8191;

    /**
     * "0-2,4" as [0, 1, 2, 4], in order, each once. Every bound is checked before a range is
     * expanded: "0-2147483647" is refused at once, not looped over.
     */
    static List<Integer> parse(String list) {
        java.util.BitSet cpus = new java.util.BitSet();
        for (String part : list.split(",", -1)) {
            String p = part.strip();
            if (p.isEmpty()) {
                if (list.isBlank()) {
                    continue;
                }
                throw new IllegalArgumentException("CPU list '" + shorten(list) + "' has an empty entry; write it like"
                        + " 1, 0,2 or 2-3");
            }
            java.util.regex.Matcher m = RANGE.matcher(p);
            if (!m.matches()) {
                throw new IllegalArgumentException("CPU list '" + shorten(list) + "' is not like 1, 0,2 or 2-3");
            }
            // More than 9 digits is beyond any CPU: not parsed, refused below.
            long from = m.group(1).length() > 9 ? Long.MAX_VALUE : Long.parseLong(m.group(1));
            long to = m.group(2) == null ? from : m.group(2).length() > 9 ? Long.MAX_VALUE : Long.parseLong(m.group(2));
            if (from > to) {
                throw new IllegalArgumentException("CPU range '" + shorten(p) + "' runs backwards; write it low-high");
            }
            if (to > MAX_CPU) {
                throw new IllegalArgumentException("CPU '" + shorten(p) + "' is beyond CPU " + MAX_CPU);
            }
            cpus.set((int) from, (int) to + 1);
        }
        return cpus.stream().boxed().toList();
    }

    private static final java.util.regex.Pattern RANGE = java.util.regex.Pattern.compile("(\\d+)(?:-(\\d+))?");

    private static String shorten(String text) {
        return text.length() <= 40 ? text : text.substring(0, 32) + "...";
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
