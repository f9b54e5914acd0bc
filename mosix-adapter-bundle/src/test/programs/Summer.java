import org.smpcluster.api.process.Migratable;
import org.smpcluster.api.process.ThisProcess;

// Sums 0..args[0]-1, one step per ms or so (args[1] steps between sleeps), and prints the sum; its
// state (next i, sum so far) is what a checkpoint keeps. "at N" every 100 steps; "restored at N"
// when it starts again from a checkpoint (so a test sees it did not start from zero).
public class Summer implements Migratable {
    private long i;
    private long sum;

    public byte[] checkpoint() {
        return (i + " " + sum).getBytes();
    }

    public void restore(byte[] state) {
        String[] s = new String(state).split(" ");
        i = Long.parseLong(s[0]);
        sum = Long.parseLong(s[1]);
        System.out.println("restored at " + i);
    }

    public static void main(String[] args) throws Exception {
        Summer m = new Summer();
        ThisProcess.migratable(m);
        long n = Long.parseLong(args[0]);
        while (m.i < n) {
            m.sum += m.i;
            m.i++;
            if (m.i % 100 == 0) {
                System.out.println("at " + m.i);
            }
            Thread.sleep(1);
        }
        System.out.println("sum " + m.sum);
    }
}
