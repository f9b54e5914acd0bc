import org.smpcluster.api.process.Migratable;
import org.smpcluster.api.process.ThisProcess;

public class Movable implements Migratable {
    private long count;

    public byte[] checkpoint() {
        return Long.toString(count).getBytes();
    }

    public void restore(byte[] state) {
        count = Long.parseLong(new String(state));
    }

    public static void main(String[] args) throws Exception {
        System.out.println("declared=" + ThisProcess.migratable(new Movable()));
        Thread.sleep(Long.MAX_VALUE);
    }
}
