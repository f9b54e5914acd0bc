package org.smpcluster.mosix.proc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

/** The test programs of {@code src/test/programs}, compiled once into a temporary directory. */
final class Programs {

    private static Path classes;

    private Programs() {
    }

    static synchronized Path classes() throws IOException {
        if (classes == null) {
            Path dir = Files.createTempDirectory("mosix-programs");
            List<String> args = new ArrayList<>(List.of("-d", dir.toString(), "-cp",
                    System.getProperty("java.class.path"), "-Xlint:none"));
            try (Stream<Path> s = Files.list(Path.of("src/test/programs"))) {
                s.filter(p -> p.toString().endsWith(".java")).forEach(p -> args.add(p.toString()));
            }
            JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
            ByteArrayOutputStream diag = new ByteArrayOutputStream();
            int rc = javac.run(null, diag, diag, args.toArray(String[]::new));
            assertEquals(0, rc, "the test programs compile: " + diag);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> delete(dir)));
            classes = dir;
        }
        return classes;
    }

    /** A jar of the compiled programs whose manifest runs {@code mainClass}. */
    static Path jar(Path dir, String mainClass) throws IOException {
        Manifest mf = new Manifest();
        mf.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        mf.getMainAttributes().put(Attributes.Name.MAIN_CLASS, mainClass);
        Path jar = dir.resolve(mainClass + ".jar");
        Path cls = classes();
        try (OutputStream o = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(o, mf);
                Stream<Path> s = Files.walk(cls)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                j.putNextEntry(new JarEntry(cls.relativize(p).toString().replace('\\', '/')));
                j.write(Files.readAllBytes(p));
                j.closeEntry();
            }
        }
        return jar;
    }

    static void delete(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            System.err.println("cannot delete " + dir + ": " + e);
        }
    }

    /** A stdout a test reads while the process writes. */
    static final class Capture extends OutputStream {
        private final ByteArrayOutputStream buf = new ByteArrayOutputStream();

        @Override
        public synchronized void write(int b) {
            buf.write(b);
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            buf.write(b, off, len);
        }

        volatile boolean closed;

        @Override
        public void close() {
            closed = true;
        }

        synchronized String text() {
            return buf.toString(StandardCharsets.UTF_8);
        }
    }
}
