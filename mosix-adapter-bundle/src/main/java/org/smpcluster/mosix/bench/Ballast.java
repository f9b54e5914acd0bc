package org.smpcluster.mosix.bench;

import org.smpcluster.api.process.Migratable;
import org.smpcluster.api.process.ThisProcess;

/**
 * The migration figure's program (as the tests' {@code Ballast}): {@code Ballast MIB} holds MIB
 * MiB of state that moves with it, prints {@code ready BYTES} once, and ticks every millisecond
 * until killed.
 */
public final class Ballast implements Migratable {

    private byte[] state;

    @Override
    public byte[] checkpoint() {
        return state;
    }

    @Override
    public void restore(byte[] s) {
        state = s;
    }

    public static void main(String[] args) throws InterruptedException {
        Ballast b = new Ballast();
        ThisProcess.migratable(b);
        if (b.state == null) { // not restored: a fresh start
            b.state = new byte[Integer.parseInt(args[0]) << 20];
            new java.util.Random(42).nextBytes(b.state);
            System.out.println("ready " + b.state.length);
        }
        for (long tick = 0; ; tick++) {
            b.state[(int) (tick % b.state.length)]++;
            Thread.sleep(1);
        }
    }
}
