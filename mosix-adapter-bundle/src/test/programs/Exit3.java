public class Exit3 {
    public static void main(String[] args) {
        System.out.println("exit3 here");
        System.exit(3);
        System.out.println("after exit: must not print");
    }
}
