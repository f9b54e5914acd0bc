public class Thrower {
    public static void main(String[] args) {
        System.err.println("about to throw");
        throw new IllegalStateException("boom");
    }
}
