// Loops that look counted but never end: each must still be polled (and so killable).
public class Tricky {
    static volatile int sink;

    public static void main(String[] args) {
        System.out.println("looping " + args[0]);
        System.out.flush();
        int n = 10;
        switch (args[0]) {
            case "le" -> {
                for (int i = 0; i <= Integer.MAX_VALUE; i++) {
                    sink = i;
                }
            }
            case "step0" -> {
                for (int i = 0; i < n; i += 0) {
                    sink = i;
                }
            }
            case "continue" -> {
                int i = 0;
                while (i < n) {
                    if (i >= 0) {
                        continue;
                    }
                    i++;
                }
            }
            case "store" -> {
                for (int i = 0; i < n; i++) {
                    i = i - 1;
                }
            }
            case "down" -> {
                for (int i = n; i >= 0; i++) {
                    sink = i;
                }
            }
            default -> throw new IllegalArgumentException(args[0]);
        }
        System.out.println("ended: must not print");
    }
}
