package org.smpcluster.nanokernel;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.smpcluster.nanokernel.mem.Physmem;

/**
 * Starts {@link VnodeProcess} JVMs for a test and cleans up after it, failed or not: every
 * process is killed and the physmem file removed on {@link #close}.
 */
final class Vnodes implements AutoCloseable {

    /** One child vnode: its process and the lines it printed. */
    static final class Child {
        final Process process;
        private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        private final StringBuilder transcript = new StringBuilder();
        private final java.util.concurrent.CountDownLatch ended = new java.util.concurrent.CountDownLatch(1);

        Child(Process process) {
            this.process = process;
            Thread.ofVirtual().start(() -> {
                try (BufferedReader out = new BufferedReader(
                        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line; (line = out.readLine()) != null; ) {
                        synchronized (transcript) {
                            transcript.append(line).append('\n');
                        }
                        lines.add(line);
                    }
                } catch (IOException e) {
                    // the process went away; expect() reports what it said until then
                } finally {
                    ended.countDown();
                }
            });
        }

        /** Waits for the next line starting with {@code prefix}; fails at the deadline. */
        String expect(String prefix, Duration deadline) throws InterruptedException {
            long end = System.nanoTime() + deadline.toNanos();
            while (true) {
                String line = lines.poll(Math.max(0, end - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (line == null) {
                    throw new AssertionError("vnode process " + process.pid() + " did not say '" + prefix + "' within "
                            + deadline.toMillis() + " ms; alive=" + process.isAlive() + "; it said:\n" + transcript());
                }
                if (line.startsWith(prefix)) {
                    return line;
                }
            }
        }

        /** Everything it said, once its output has ended (it exited); fails at the deadline. */
        String transcriptAtEnd(Duration deadline) throws InterruptedException {
            if (!ended.await(deadline.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError("vnode process " + process.pid() + " kept its output open for " + deadline
                        + "; alive=" + process.isAlive() + "; it said:\n" + transcript());
            }
            return transcript();
        }

        String transcript() {
            synchronized (transcript) {
                return transcript.toString();
            }
        }

        /** Closes its stdin: it leaves the cluster and exits. */
        void leave(Duration deadline) throws IOException, InterruptedException {
            process.getOutputStream().close();
            if (!process.waitFor(deadline.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError("vnode process " + process.pid() + " did not exit within " + deadline);
            }
        }
    }

    private final Path dir;
    private final String cluster;
    private final List<Child> children = new ArrayList<>();

    Vnodes(Path dir, String cluster) {
        this.dir = dir;
        this.cluster = cluster;
    }

    Child start(int vnode, String... scenario) {
        return startWith(List.of(), vnode, scenario);
    }

    /** Like {@link #start}, with more JVM options ({@code -Dsmpcluster.fault.inject=true}, a heap limit). */
    Child startWith(List<String> jvmOptions, int vnode, String... scenario) {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED",
                "-Xmx64m"));
        command.addAll(jvmOptions);
        command.addAll(List.of(
                "-cp", System.getProperty("java.class.path"),
                VnodeProcess.class.getName(), dir.toString(), cluster, Integer.toString(vnode)));
        command.addAll(List.of(scenario));
        try {
            Child child = new Child(new ProcessBuilder(command).redirectErrorStream(true).start());
            children.add(child);
            return child;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start a vnode process", e);
        }
    }

    @Override
    public void close() throws IOException {
        for (Child child : children) {
            child.process.destroyForcibly();
        }
        for (Child child : children) {
            try {
                child.process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        Files.deleteIfExists(Physmem.pathOf(dir, cluster));
    }
}
