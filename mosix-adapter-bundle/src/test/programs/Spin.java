public class Spin {
    public static void main(String[] args) {
        System.out.println("spinning");
        System.out.flush();
        while (true) {
        }
    }
}
