// Prints N numbered lines and "done", then waits to be killed (a sleep loop: polled at its backward branch).
public class Lines {
    public static void main(String[] args) throws InterruptedException {
        int n = Integer.parseInt(args[0]);
        for (int i = 0; i < n; i++) {
            System.out.println("line " + i);
        }
        System.err.println("to stderr");
        System.out.println("done");
        while (true) {
            Thread.sleep(50);
        }
    }
}
