import java.util.ArrayList;
import java.util.List;

// Allocates without bound and keeps it all: args[0] KiB every args[1] ms (0: as fast as it can).
public class Hog {
    static final List<byte[]> KEPT = new ArrayList<>();

    public static void main(String[] args) throws Exception {
        int kib = Integer.parseInt(args[0]);
        long ms = Long.parseLong(args[1]);
        System.out.println("hogging");
        while (true) {
            KEPT.add(new byte[kib * 1024]);
            if (ms > 0) {
                Thread.sleep(ms);
            }
        }
    }
}
