package org.smpcluster.mosix.bench;

import org.smpcluster.api.process.Migratable;
import org.smpcluster.api.process.ThisProcess;

/**
 * The deputy figure's program: {@code Stamps N home} writes N lines of 64 bytes at once, each
 * with the {@code System.nanoTime()} of its write (CLOCK_MONOTONIC, which every JVM of the host
 * shares), 200 us apart, then {@code done}; {@code Stamps N away} waits to be migrated and writes
 * them where it was moved to, so they reach its home through its deputy.
 */
public final class Stamps implements Migratable {

    private boolean moved;

    @Override
    public byte[] checkpoint() {
        return new byte[0];
    }

    @Override
    public void restore(byte[] state) {
        moved = true;
    }

    public static void main(String[] args) throws InterruptedException {
        int n = Integer.parseInt(args[0]);
        Stamps s = new Stamps();
        ThisProcess.migratable(s);
        if (args[1].equals("away") && !s.moved) {
            while (true) {
                Thread.sleep(1); // until the move: this copy never writes
            }
        }
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
