// Counted and nested loops, switches, try/catch, synchronized: the shapes the rewrite must keep valid.
public class Looper {
    public static void main(String[] args) {
        long sum = 0;
        Object lock = new Object();
        for (int i = 0; i < 1000; i++) {
            for (int j = 0; j < 10; j++) {
                switch ((i + j) % 4) {
                    case 0 -> sum += j;
                    case 1 -> sum -= 1;
                    case 2 -> {
                        synchronized (lock) {
                            sum += 2;
                        }
                    }
                    default -> {
                        try {
                            if (j == 3) {
                                throw new RuntimeException("x");
                            }
                        } catch (RuntimeException e) {
                            sum += 3;
                        } finally {
                            sum++;
                        }
                    }
                }
            }
        }
        int k = 0;
        do {
            k++;
        } while (k < 100);
        System.out.println("sum=" + sum + " k=" + k);
    }
}
