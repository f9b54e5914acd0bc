package org.smpcluster.mosix.bench;

/**
 * The alternative a user without a cluster picks: {@code BurnThreads UNITS N} runs N copies of
 * {@link Burn}'s work as plain threads of one JVM and prints {@code threads N WALL_NANOS CHECK}.
 */
public final class BurnThreads {

    private BurnThreads() {
    }

    public static void main(String[] args) throws InterruptedException {
        long units = Long.parseLong(args[0]);
        int n = Integer.parseInt(args[1]);
        long[] checks = new long[n];
        Thread[] threads = new Thread[n];
        long t0 = System.nanoTime();
        for (int k = 0; k < n; k++) {
            int slot = k;
            threads[k] = new Thread(() -> {
                long check = 0;
                for (long done = 0; done < units; done++) {
                    check += BurnWork.unit(done + check);
                }
                checks[slot] = check;
            });
            threads[k].start();
        }
        for (Thread t : threads) {
            t.join();
        }
        long wall = System.nanoTime() - t0;
        for (long c : checks) {
            if (c != checks[0]) {
                throw new IllegalStateException("the threads computed different checks: " + java.util.Arrays.toString(checks));
            }
        }
        System.out.println("threads " + n + " " + wall + " " + checks[0]);
    }
}
