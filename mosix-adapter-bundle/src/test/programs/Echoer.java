import org.smpcluster.api.process.Migratable;
import org.smpcluster.api.process.ThisProcess;

// Echoes its stdin's lines as "echo LINE" until "quit" (status 5), movable between lines: it reads only what is
// there (available()), so it never blocks in a read where no safe point is, and its state is how many it echoed.
public class Echoer implements Migratable {
    private long lines;

    public byte[] checkpoint() {
        return Long.toString(lines).getBytes();
    }

    public void restore(byte[] state) {
        lines = Long.parseLong(new String(state));
    }

    public static void main(String[] args) throws Exception {
        Echoer e = new Echoer();
        ThisProcess.migratable(e);
        System.out.println("ready " + e.lines);
        StringBuilder line = new StringBuilder();
        while (true) {
            while (System.in.available() == 0) {
                Thread.sleep(2);
            }
            int c = System.in.read();
            if (c < 0) {
                return;
            }
            if (c != '\n') {
                line.append((char) c);
                continue;
            }
            if (line.toString().equals("quit")) {
                System.exit(5);
            }
            System.out.println("echo " + line);
            e.lines++;
            line.setLength(0);
        }
    }
}
