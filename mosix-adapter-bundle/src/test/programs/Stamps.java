// Writes N lines of 64 bytes, each with the CLOCK_MONOTONIC time of its write (shared by every JVM of the host), 200 us apart.
public class Stamps {
    public static void main(String[] args) {
        int n = Integer.parseInt(args[0]);
        long next = System.nanoTime();
        for (int i = 0; i < n; i++) {
            next += 200_000;
            while (System.nanoTime() < next) {
                Thread.onSpinWait();
            }
            String line = "t " + System.nanoTime() + " ";
            System.out.println(line + "x".repeat(63 - line.length()));
        }
        System.out.println("done");
    }
}
