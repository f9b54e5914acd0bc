import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;

public class Stdio {
    public static void main(String[] args) throws Exception {
        System.out.println("FOO=" + System.getenv("FOO") + " env=" + System.getenv().size());
        System.out.println("cwd=" + System.getProperty("user.dir"));
        System.out.println("console=" + System.console());
        String line = new BufferedReader(new InputStreamReader(System.in)).readLine();
        System.out.println("read=" + line);
        PrintStream old = System.out;
        System.setOut(System.err);
        System.out.println("to err via setOut");
        System.setOut(old);
        try {
            throw new java.io.IOException("printed");
        } catch (java.io.IOException e) {
            e.printStackTrace();
        }
        System.in.close();
        System.out.close(); // closes the process's stdout, not the stream it was given
        System.out.println("after close");
    }
}
