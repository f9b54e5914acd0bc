package org.smpcluster.vfs.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The provider against the default Linux filesystem: each scenario runs on a fresh directory
 * of each and prints what happened (results, or the exception's class and POSIX reason), and
 * the two transcripts must be equal.
 */
class ConformanceTest {

    interface Scenario {
        void run(Path dir, List<String> out) throws Exception;
    }

    @TempDir
    static Path repository;
    @TempDir
    static Path linux;
    static RootFixture root;
    static int round;

    @BeforeAll
    static void boot() throws Exception {
        root = new RootFixture("conformance", repository, 512);
    }

    @AfterAll
    static void shutDown() throws Exception {
        root.close();
    }

    static Stream<Named<Scenario>> scenarios() {
        List<Named<Scenario>> s = new ArrayList<>();
        s.add(Named.of("write then read", (d, o) -> {
            Files.writeString(d.resolve("a"), "alpha");
            o.add(Files.readString(d.resolve("a")));
            o.add("size " + Files.size(d.resolve("a")));
        }));
        s.add(Named.of("createFile twice", (d, o) -> {
            Files.createFile(d.resolve("f"));
            attempt(o, () -> Files.createFile(d.resolve("f")));
        }));
        s.add(Named.of("read a missing file", (d, o) -> attempt(o, () -> Files.readAllBytes(d.resolve("nope")))));
        s.add(Named.of("directories and listing", (d, o) -> {
            Files.createDirectory(d.resolve("x"));
            Files.createDirectory(d.resolve("x/y"));
            Files.writeString(d.resolve("x/b"), "b");
            Files.writeString(d.resolve("x/a"), "a");
            o.add(list(d.resolve("x")).toString());
            attempt(o, () -> Files.createDirectory(d.resolve("x")));
            attempt(o, () -> Files.createDirectory(d.resolve("missing/z")));
        }));
        s.add(Named.of("delete", (d, o) -> {
            Files.createDirectory(d.resolve("x"));
            Files.writeString(d.resolve("x/f"), "f");
            attempt(o, () -> Files.delete(d.resolve("x")));
            attempt(o, () -> Files.delete(d.resolve("nothing")));
            o.add("deleteIfExists " + Files.deleteIfExists(d.resolve("x/f")) + " " + Files.deleteIfExists(d.resolve("x/f")));
            Files.delete(d.resolve("x"));
            o.add("exists " + Files.exists(d.resolve("x")) + " notExists " + Files.notExists(d.resolve("x")));
        }));
        s.add(Named.of("move", (d, o) -> {
            Files.writeString(d.resolve("a"), "A");
            Files.writeString(d.resolve("b"), "B");
            attempt(o, () -> Files.move(d.resolve("a"), d.resolve("b")));
            Files.move(d.resolve("a"), d.resolve("b"), StandardCopyOption.REPLACE_EXISTING);
            o.add(Files.readString(d.resolve("b")) + " " + Files.exists(d.resolve("a")));
            attempt(o, () -> Files.move(d.resolve("b"), d.resolve("no/c")));
            attempt(o, () -> Files.move(d.resolve("nothing"), d.resolve("c")));
        }));
        s.add(Named.of("move a directory with its files", (d, o) -> {
            Files.createDirectories(d.resolve("p/q"));
            Files.writeString(d.resolve("p/q/f"), "deep");
            Files.move(d.resolve("p"), d.resolve("r"));
            o.add(Files.readString(d.resolve("r/q/f")) + " " + Files.exists(d.resolve("p")));
            Files.createDirectories(d.resolve("s/t"));
            attempt(o, () -> Files.move(d.resolve("r"), d.resolve("s"), StandardCopyOption.REPLACE_EXISTING));
        }));
        s.add(Named.of("append", (d, o) -> {
            Path f = d.resolve("log");
            Files.writeString(f, "1\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            Files.writeString(f, "2\n", StandardOpenOption.APPEND);
            o.add(Files.readString(f));
            attempt(o, () -> Files.writeString(d.resolve("nolog"), "x", StandardOpenOption.APPEND));
        }));
        s.add(Named.of("truncate and holes", (d, o) -> {
            Path f = d.resolve("h");
            try (SeekableByteChannel ch = Files.newByteChannel(f, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                    StandardOpenOption.READ)) {
                ch.position(10_000).write(ByteBuffer.wrap("end".getBytes()));
                o.add("size " + ch.size());
                ch.truncate(5_000);
                o.add("size " + ch.size() + " position " + ch.position());
                ByteBuffer b = ByteBuffer.allocate(8);
                ch.position(4_996);
                o.add("read " + ch.read(b) + " " + HexFormat.of().formatHex(b.array()));
                o.add("eof " + ch.read(ByteBuffer.allocate(1)));
            }
            byte[] all = Files.readAllBytes(f);
            o.add("zeros " + Arrays.equals(all, new byte[5_000]));
        }));
        s.add(Named.of("CREATE_NEW and TRUNCATE_EXISTING", (d, o) -> {
            Path f = d.resolve("c");
            Files.writeString(f, "a long first line");
            attempt(o, () -> Files.newByteChannel(f, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).close());
            Files.writeString(f, "short", StandardOpenOption.TRUNCATE_EXISTING);
            o.add(Files.readString(f));
            Files.writeString(f, "XY", StandardOpenOption.WRITE);
            o.add(Files.readString(f));
        }));
        s.add(Named.of("not a directory", (d, o) -> {
            Files.writeString(d.resolve("file"), "x");
            attempt(o, () -> Files.newDirectoryStream(d.resolve("file")).close());
            attempt(o, () -> Files.createFile(d.resolve("file/child")));
            attempt(o, () -> Files.readString(d.resolve("file/child")));
        }));
        s.add(Named.of("is a directory", (d, o) -> {
            Files.createDirectory(d.resolve("dir"));
            attempt(o, () -> Files.writeString(d.resolve("dir"), "x"));
            o.add("dir " + Files.isDirectory(d.resolve("dir")) + " file " + Files.isRegularFile(d.resolve("dir")));
        }));
        s.add(Named.of("long names", (d, o) -> {
            attempt(o, () -> Files.writeString(d.resolve("n".repeat(256)), "x"));
            Files.writeString(d.resolve("n".repeat(255)), "x");
            o.add("255 ok " + Files.exists(d.resolve("n".repeat(255))));
        }));
        s.add(Named.of("copy", (d, o) -> {
            Files.writeString(d.resolve("src"), "copied");
            Files.copy(d.resolve("src"), d.resolve("dst"));
            attempt(o, () -> Files.copy(d.resolve("src"), d.resolve("dst")));
            Files.writeString(d.resolve("src"), "again");
            Files.copy(d.resolve("src"), d.resolve("dst"), StandardCopyOption.REPLACE_EXISTING);
            o.add(Files.readString(d.resolve("dst")));
        }));
        s.add(Named.of("times", (d, o) -> {
            Path f = d.resolve("t");
            Files.writeString(f, "t");
            Files.setLastModifiedTime(f, FileTime.fromMillis(1_600_000_000_000L));
            o.add(Files.getLastModifiedTime(f).toString());
        }));
        s.add(Named.of("a large file at odd positions", (d, o) -> {
            byte[] data = new byte[2_500_000];
            new Random(11).nextBytes(data);
            Path f = d.resolve("big");
            Files.write(f, data);
            try (FileChannel ch = (FileChannel) Files.newByteChannel(f, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                ch.write(ByteBuffer.wrap(new byte[] {1, 2, 3}), 1_048_575);
                ByteBuffer b = ByteBuffer.allocate(70_001);
                ch.read(b, 1_000_000);
                o.add(Integer.toHexString(Arrays.hashCode(b.array())) + " size " + ch.size());
            }
            o.add(Integer.toHexString(Arrays.hashCode(Files.readAllBytes(f))));
        }));
        s.add(Named.of("walk", (d, o) -> {
            Files.createDirectories(d.resolve("w/a/b"));
            Files.writeString(d.resolve("w/a/b/f"), "f");
            Files.writeString(d.resolve("w/g"), "g");
            try (Stream<Path> all = Files.walk(d.resolve("w"))) {
                o.add(all.map(p -> d.relativize(p).toString()).sorted().toList().toString());
            }
        }));
        s.add(Named.of("streams", (d, o) -> {
            try (var out = Files.newOutputStream(d.resolve("s"))) {
                for (int i = 0; i < 1000; i++) {
                    out.write(("line " + i + "\n").getBytes(StandardCharsets.UTF_8));
                }
            }
            try (var lines = Files.lines(d.resolve("s"))) {
                o.add("lines " + lines.count());
            }
            try (var in = Files.newInputStream(d.resolve("s"))) {
                o.add("skip " + in.skip(5000) + " then " + (char) in.read());
            }
        }));
        return s.stream();
    }

    interface Action {
        Object run() throws Exception;
    }

    interface VoidAction {
        void run() throws Exception;
    }

    static void attempt(List<String> o, VoidAction a) {
        try {
            a.run();
            o.add("ok");
        } catch (Exception e) {
            o.add(describe(e));
        }
    }

    /** The exception's class, and for a plain FileSystemException the POSIX text of its reason (ours starts with the errno's name). */
    static String describe(Exception e) {
        String s = e.getClass().getSimpleName();
        if (e instanceof FileSystemException f && f.getClass() == FileSystemException.class && f.getReason() != null) {
            String reason = f.getReason().replaceFirst("^E[A-Z]+: ", "").replaceFirst(" \\(.*\\)$", "");
            s += " " + reason;
        }
        return s;
    }

    static List<String> list(Path dir) throws IOException {
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
            s.forEach(p -> names.add(p.getFileName().toString()));
        }
        names.sort(null);
        return names;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("scenarios")
    void shouldBehaveLikeTheLinuxFilesystem(Scenario scenario) throws Exception {
        int n = ++round;
        Path expectedDir = Files.createDirectory(linux.resolve("s" + n));
        Path vfsDir = root.vfs.path("/tmp/s" + n);
        Files.createDirectory(vfsDir);
        List<String> expected = new ArrayList<>();
        List<String> actual = new ArrayList<>();
        scenario.run(expectedDir, expected);
        scenario.run(vfsDir, actual);
        assertEquals(String.join("\n", expected), String.join("\n", actual));
    }
}
