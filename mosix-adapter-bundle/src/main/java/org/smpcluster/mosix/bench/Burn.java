package org.smpcluster.mosix.bench;

import java.nio.ByteBuffer;

import org.smpcluster.api.process.Migratable;
import org.smpcluster.api.process.ThisProcess;

/**
 * The balancing figure's program: {@code Burn UNITS} does UNITS of {@link BurnWork} and prints
 * {@code burn UNITS CHECK}. It is {@link Migratable} (its state: units done and the checksum so
 * far), so a balancer can move it at any safe point and it goes on where it was.
 */
public final class Burn implements Migratable {

    private long done;
    private long check;

    @Override
    public byte[] checkpoint() {
        return ByteBuffer.allocate(16).putLong(done).putLong(check).array();
    }

    @Override
    public void restore(byte[] state) {
        ByteBuffer b = ByteBuffer.wrap(state);
        done = b.getLong();
        check = b.getLong();
    }

    public static void main(String[] args) {
        long units = Long.parseLong(args[0]);
        Burn b = new Burn();
        ThisProcess.migratable(b);
        while (b.done < units) {
            // A unit whose freeze came in the middle is done again after the move: only a
            // finished unit counts.
            long c = b.check + BurnWork.unit(b.done + b.check);
            b.check = c;
            b.done++;
        }
        System.out.println("burn " + units + " " + b.check);
    }
}
