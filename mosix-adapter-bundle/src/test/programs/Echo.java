public class Echo {
    public static void main(String[] args) {
        System.out.println("args=" + java.util.Arrays.toString(args));
    }
}
