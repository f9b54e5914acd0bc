import java.util.concurrent.CountDownLatch;

public class Workers {
    static volatile long sink;

    public static void main(String[] args) throws Exception {
        int n = Integer.parseInt(args[0]);
        CountDownLatch up = new CountDownLatch(n);
        for (int k = 0; k < n; k++) {
            Thread t = new Thread(() -> {
                up.countDown();
                long x = 0;
                while (true) {
                    x++;
                    if ((x & 0xffffff) == 0) {
                        sink = x;
                    }
                }
            }, "worker-" + k);
            t.setDaemon(k % 2 == 0);
            t.start();
        }
        Thread sleeper = new Thread(() -> {
            try {
                Thread.sleep(Long.MAX_VALUE);
            } catch (InterruptedException e) {
                System.out.println("sleeper interrupted");
            }
        }, "sleeper");
        sleeper.start();
        up.await();
        System.out.println("started " + n);
        Object lock = new Object();
        synchronized (lock) {
            lock.wait();
        }
    }
}
