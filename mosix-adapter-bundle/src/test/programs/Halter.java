public class Halter {
    public static void main(String[] args) {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> System.out.println("hook ran")));
        if (args.length > 0 && args[0].equals("halt")) {
            Runtime.getRuntime().halt(5);
        } else if (args.length > 0 && args[0].equals("exit")) {
            Runtime.getRuntime().exit(6);
        } else if (args.length > 0 && args[0].equals("ref")) {
            java.util.function.IntConsumer exit = System::exit;
            exit.accept(8);
        }
        System.out.println("main returns");
    }
}
