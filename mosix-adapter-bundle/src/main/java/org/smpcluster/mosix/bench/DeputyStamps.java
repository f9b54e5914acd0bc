package org.smpcluster.mosix.bench;

/**
 * The program {@link org.smpcluster.mosix.cluster.DeputyBench} runs: {@code N} lines of 64 bytes
 * to stdout, 200 us apart, each with the {@code System.nanoTime()} of its write (CLOCK_MONOTONIC,
 * the same in every JVM of the host), then {@code done}.
 */
public final class DeputyStamps {

    private DeputyStamps() {
    }

    public static void main(String[] args) {
        int n = Integer.parseInt(args[0]);
        long next = System.nanoTime();
        for (int i = 0; i < n; i++) {
            next += 200_000;
            while (System.nanoTime() < next) {
                Thread.onSpinWait();
            }
            String line = "t " + System.nanoTime() + " ";
            System.out.println(line + "x".repeat(63 - line.length()));
        }
        System.out.println("done");
    }
}
