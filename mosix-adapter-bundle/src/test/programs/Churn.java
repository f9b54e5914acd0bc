import org.smpcluster.api.process.Migratable;
import org.smpcluster.api.process.ThisProcess;

// CPU-bound and migratable: works until killed, its state the rounds it did (it says "churning" where it starts).
public class Churn implements Migratable {
    private volatile long rounds;

    public byte[] checkpoint() {
        return Long.toString(rounds).getBytes();
    }

    public void restore(byte[] state) {
        rounds = Long.parseLong(new String(state));
    }

    public static void main(String[] args) {
        Churn c = new Churn();
        ThisProcess.migratable(c);
        System.out.println("churning");
        long x = 1;
        while (true) {
            for (int i = 0; i < 100_000; i++) {
                x = x * 6364136223846793005L + 1442695040888963407L;
            }
            c.rounds += 1 + (x & 1) - (x & 1);
        }
    }
}
