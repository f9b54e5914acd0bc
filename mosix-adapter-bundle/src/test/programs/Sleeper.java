import org.smpcluster.api.process.Signal;
import org.smpcluster.api.process.ThisProcess;

public class Sleeper {
    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("handle")) {
            boolean installed = ThisProcess.handle(Signal.SIGTERM, () -> {
                System.out.println("caught SIGTERM in pid " + ThisProcess.pid());
                System.exit(7);
            });
            System.out.println("installed=" + installed);
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> System.out.println("hook ran")));
        System.out.println("sleeping");
        Thread.sleep(Long.MAX_VALUE);
    }
}
