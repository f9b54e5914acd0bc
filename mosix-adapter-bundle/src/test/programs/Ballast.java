import org.smpcluster.api.process.Migratable;
import org.smpcluster.api.process.ThisProcess;

// State of args[0] MiB that moves with it (the migration figures): it ticks every ms until killed.
public class Ballast implements Migratable {
    private byte[] state;

    public byte[] checkpoint() {
        return state;
    }

    public void restore(byte[] s) {
        state = s;
    }

    public static void main(String[] args) throws Exception {
        Ballast b = new Ballast();
        boolean declared = ThisProcess.migratable(b);
        if (b.state == null) { // not restored: a fresh start
            b.state = new byte[Integer.parseInt(args[0]) << 20];
            new java.util.Random(42).nextBytes(b.state);
            System.out.println("ready " + b.state.length + " " + declared); // once, not after each move
        }
        for (long tick = 0; ; tick++) {
            b.state[(int) (tick % b.state.length)]++;
            Thread.sleep(1);
        }
    }
}
