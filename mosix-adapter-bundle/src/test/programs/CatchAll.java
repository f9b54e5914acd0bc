public class CatchAll {
    static long n;

    static void work() {
        for (int k = 0; k < 1000; k++) {
            n += k;
        }
    }

    public static void main(String[] args) {
        System.out.println("catching everything");
        while (true) {
            try {
                work();
                try {
                    Thread.sleep(1);
                } catch (InterruptedException e) {
                    // keep going, as stubborn programs do
                }
            } catch (Throwable t) {
                // swallow even Errors
            }
        }
    }
}
