import org.smpcluster.api.process.Migratable;
import org.smpcluster.api.process.ThisProcess;

// Holds args[0] MiB live and idles; migratable, its state only the size (it takes the memory again where it lands).
public class Holder implements Migratable {
    private int mib;

    public byte[] checkpoint() {
        return Integer.toString(mib).getBytes();
    }

    public void restore(byte[] state) {
        mib = Integer.parseInt(new String(state));
    }

    public static void main(String[] args) throws Exception {
        Holder h = new Holder();
        h.mib = Integer.parseInt(args[0]);
        ThisProcess.migratable(h);
        byte[][] held = new byte[h.mib][];
        for (int i = 0; i < h.mib; i++) {
            held[i] = new byte[1 << 20];
            held[i][i % 1024] = 1;
        }
        System.out.println("holding " + h.mib);
        while (held.length > 0) {
            Thread.sleep(5);
        }
    }
}
