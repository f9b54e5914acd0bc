// A thread of it dies of an OutOfMemoryError nobody catches (thrown, not provoked: the heap of the
// test JVM is left alone); main waits for ever. The process must end, saying why.
public class OomThrower {
    public static void main(String[] args) throws Exception {
        Thread t = new Thread(() -> {
            throw new OutOfMemoryError("pretend the heap ran out");
        }, "eater");
        t.start();
        Thread.sleep(Long.MAX_VALUE);
    }
}
