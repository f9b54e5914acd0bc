import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

import org.smpcluster.api.process.Migratable;
import org.smpcluster.api.process.ThisProcess;

// CPU-bound and migratable: works until its thread has used args[0] ms of CPU in all (across moves), then says done.
public class Crunch implements Migratable {
    private volatile long progress; // CPU nanos of work done, wherever

    public byte[] checkpoint() {
        return Long.toString(progress).getBytes();
    }

    public void restore(byte[] state) {
        progress = Long.parseLong(new String(state));
    }

    public static void main(String[] args) {
        Crunch c = new Crunch();
        ThisProcess.migratable(c);
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        long target = Long.parseLong(args[0]) * 1_000_000L;
        long done = c.progress;
        long base = mx.getCurrentThreadCpuTime();
        long x = 1;
        while (c.progress < target) {
            for (int i = 0; i < 200_000; i++) {
                x = x * 6364136223846793005L + 1442695040888963407L;
            }
            c.progress = done + (mx.getCurrentThreadCpuTime() - base) + (x & 1) - (x & 1);
        }
        System.out.println("done");
    }
}
