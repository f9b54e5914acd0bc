import org.smpcluster.api.process.Migratable;
import org.smpcluster.api.process.ThisProcess;

// A counter that can move: it prints "count N" up to args[0], a few ms apart, and declares its
// state first thing (on the vnode it moves to, main runs again and migratable() restores it).
public class Mover implements Migratable {
    private long count;

    public byte[] checkpoint() {
        return Long.toString(count).getBytes();
    }

    public void restore(byte[] state) {
        count = Long.parseLong(new String(state));
    }

    public static void main(String[] args) throws Exception {
        Mover m = new Mover();
        ThisProcess.migratable(m);
        long n = Long.parseLong(args[0]);
        while (m.count < n) {
            System.out.println("count " + m.count);
            m.count++;
            Thread.sleep(2);
        }
        System.out.println("done");
        System.exit(7);
    }
}
