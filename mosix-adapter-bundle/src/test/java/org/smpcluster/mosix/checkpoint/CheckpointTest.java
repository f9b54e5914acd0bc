package org.smpcluster.mosix.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.smpcluster.api.process.ExitStatus;
import org.smpcluster.api.process.ProcessInfo;
import org.smpcluster.api.process.ProcessSpec;
import org.smpcluster.api.process.Signal;
import org.smpcluster.mosix.proc.Frozen;
import org.smpcluster.mosix.proc.ProcessTable;
import org.smpcluster.mosix.proc.Resume;
import org.smpcluster.mosix.proc.TestSupport;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CheckpointTest {

    private ProcessTable table;
    private Checkpointer checkpointer;
    private Path programs;

    @BeforeEach
    void setUp() throws IOException {
        table = new ProcessTable(4, TestSupport::daemon);
        checkpointer = new Checkpointer(table, TestSupport::daemon);
        programs = TestSupport.programs();
    }

    @AfterEach
    void tearDown() {
        checkpointer.close();
        table.close();
    }

    /** A stdout whose text a test reads while the process writes. */
    static final class Out extends OutputStream {
        private final ByteArrayOutputStream b = new ByteArrayOutputStream();

        @Override
        public synchronized void write(int c) {
            b.write(c);
        }

        @Override
        public synchronized void write(byte[] a, int off, int len) {
            b.write(a, off, len);
        }

        synchronized String text() {
            return b.toString(StandardCharsets.UTF_8);
        }
    }

    private static void waitFor(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            LockSupport.parkNanos(5_000_000);
        }
    }

    private static long restoredAt(String text) {
        return text.lines().filter(l -> l.startsWith("restored at ")).mapToLong(l -> Long.parseLong(l.substring(12)))
                .findFirst().orElseThrow(() -> new AssertionError("it did not say where it was restored: " + text));
    }

    @Test
    void shouldCheckpointAProcessAndRestartItFromTheFileWhereItLeftOff(@TempDir Path dir) throws Exception {
        Out out = new Out();
        long n = 2500;
        ProcessInfo p = table.spawn(ProcessSpec.of("Summer", programs).withArgs(Long.toString(n)).withStdout(out));
        waitFor("it to count to 300", () -> out.text().contains("at 300\n"));
        Path file = dir.resolve("summer.ckpt");
        assertEquals(file, checkpointer.checkpoint(p.pid(), file));
        table.signal(p.pid(), Signal.SIGKILL);
        assertEquals(137, table.onExit(p.pid()).get(20, TimeUnit.SECONDS).code());
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(java.util.List.of(file), s.toList(), "the temp file was moved over the checkpoint: none left");
        }

        CheckpointFile.Checkpoint c = CheckpointFile.read(file, CheckpointFile::hostPath);
        Frozen f = c.frozen();
        assertEquals(p.pid(), f.pid());
        assertEquals(4, f.home());
        assertEquals("Summer", f.spec().mainClass());
        assertEquals(java.util.List.of(Long.toString(n)), f.spec().args());
        assertEquals(java.util.List.of(programs.toAbsolutePath()), f.spec().classPath());
        Out again = new Out();
        long pid = table.reserveDeputyPid();
        table.spawnMoved(pid, 4, f.spec().withStdout(again), f.resume());
        ExitStatus s = table.onExit(pid).get(30, TimeUnit.SECONDS);
        assertEquals(0, s.code(), s + ": " + again.text());
        long at = restoredAt(again.text());
        assertTrue(at >= 300, "restarted from the checkpoint (at " + at + "), not from zero");
        assertTrue(again.text().contains("sum " + n * (n - 1) / 2 + "\n"), "the right sum: " + again.text());
    }

    @Test
    void shouldCheckpointEveryIntervalWhatRunsWithCheckpoints(@TempDir Path dir) throws Exception {
        Out out = new Out();
        Path file = dir.resolve("periodic.ckpt");
        ProcessInfo p = table.spawn(ProcessSpec.of("Summer", programs).withArgs("100000").withStdout(out)
                .withCheckpoints(file, Duration.ofMillis(100)));
        waitFor("a first checkpoint", () -> Files.exists(file));
        long first = progress(file);
        waitFor("a later checkpoint", () -> progress(file) > first);
        table.signal(p.pid(), Signal.SIGKILL);
        table.onExit(p.pid()).get(20, TimeUnit.SECONDS);
    }

    private static long progress(Path file) {
        byte[] state = CheckpointFile.read(file, CheckpointFile::hostPath).frozen().resume().state();
        return Long.parseLong(new String(state, StandardCharsets.UTF_8).split(" ")[0]);
    }

    @Test
    void shouldSayWhyAProcessCannotBeCheckpointedAndLeaveItRunning(@TempDir Path dir) throws Exception {
        Out out = new Out();
        ProcessInfo p = table.spawn(ProcessSpec.of("Spin", programs).withStdout(out));
        waitFor("it to spin", () -> out.text().contains("spinning"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> checkpointer.checkpoint(p.pid(), dir.resolve("x")));
        assertTrue(e.getMessage().startsWith("pid=" + p.pid() + " cannot be checkpointed: pid=" + p.pid()
                + " cannot move: cantmove=not migratable"), e.getMessage());
        assertTrue(Files.notExists(dir.resolve("x")));
        assertTrue(table.runs(p.pid()), "it runs on");
        table.signal(p.pid(), Signal.SIGKILL);
        table.onExit(p.pid()).get(20, TimeUnit.SECONDS);
    }

    private static Frozen sample(Path cp) {
        ProcessSpec spec = ProcessSpec.of("Summer", cp).withArgs("10", "x y").withName("summer")
                .withEnvironment(Map.of("A", "1")).withWorkingDirectory(cp).withParent(7)
                .withCheckpoints(cp.resolve("f.ckpt"), Duration.ofSeconds(3));
        return new Frozen(4000012, 4, spec, new Resume(new byte[] {1, 2, 3, 0, -1}, 11, 22, 33));
    }

    @Test
    void shouldReadBackWhatItWrote(@TempDir Path dir) {
        Path file = dir.resolve("a.ckpt");
        CheckpointFile.write(file, sample(dir), 1234);
        CheckpointFile.Checkpoint c = CheckpointFile.read(file, CheckpointFile::hostPath);
        Frozen f = c.frozen();
        assertEquals(1234, c.writtenMillis());
        assertEquals(sample(dir).spec().withCheckpoints(dir.resolve("f.ckpt"), Duration.ofSeconds(3)).toString(),
                f.spec().toString());
        assertArrayEquals(new byte[] {1, 2, 3, 0, -1}, f.resume().state());
        assertEquals(11, f.resume().cpuNanos());
        assertEquals(22, f.resume().allocatedBytes());
        assertEquals(33, f.resume().startedMillis());
        assertEquals(4000012, f.pid());
    }

    @Test
    void shouldSayWhichWayABrokenFileIsBroken(@TempDir Path dir) throws IOException {
        Path good = dir.resolve("good.ckpt");
        CheckpointFile.write(good, sample(dir), 1);
        byte[] bytes = Files.readAllBytes(good);

        assertBroken(dir.resolve("missing.ckpt"), null, ": no such checkpoint file");
        assertBroken(dir.resolve("empty"), new byte[0], ": truncated (0 bytes");
        assertBroken(dir.resolve("short"), Arrays.copyOf(bytes, CheckpointFile.HEADER + 10), ": truncated (content length=");
        assertBroken(dir.resolve("header"), Arrays.copyOf(bytes, 12), ": truncated (12 bytes");
        byte[] magic = bytes.clone();
        magic[0] = 'X';
        assertBroken(dir.resolve("magic"), magic, ": not a checkpoint (wrong magic");
        assertBroken(dir.resolve("text"), "hello, this is not a checkpoint at all".getBytes(), ": not a checkpoint");
        byte[] version = bytes.clone();
        version[11] = 9;
        assertBroken(dir.resolve("version"), version, ": checkpoint version=9 (this vnode reads version 1)");
        byte[] flipped = bytes.clone();
        flipped[bytes.length - 2] ^= 0x10;
        assertBroken(dir.resolve("crc"), flipped, ": CRC mismatch");
        byte[] longer = Arrays.copyOf(bytes, bytes.length + 3);
        assertBroken(dir.resolve("longer"), longer, ": 3 bytes after the content");
    }

    private static void assertBroken(Path file, byte[] content, String says) throws IOException {
        if (content != null) {
            Files.write(file, content);
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CheckpointFile.read(file, CheckpointFile::hostPath));
        assertTrue(e.getMessage().startsWith("file=" + file + says), e.getMessage());
    }

    @Test
    void shouldKeepTheLastGoodCheckpointWhenAWriteFails(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("keep.ckpt");
        CheckpointFile.write(file, sample(dir), 1);
        byte[] before = Files.readAllBytes(file);
        // a temp file that cannot be made: a directory of that name is in the way
        Path blocker = dir.resolve(".keep.ckpt." + ProcessHandle.current().pid() + "-" + Thread.currentThread().threadId()
                + ".tmp");
        Files.createDirectory(blocker);
        Files.writeString(blocker.resolve("inside"), "x");
        assertThrows(java.io.UncheckedIOException.class, () -> CheckpointFile.write(file, sample(dir), 2));
        assertArrayEquals(before, Files.readAllBytes(file), "the old checkpoint is untouched");
        assertEquals(1, CheckpointFile.read(file, CheckpointFile::hostPath).writtenMillis());
    }

    /**
     * The checkpoint figures: a Ballast process with 1 MiB, then 64 MiB, of state checkpointed to
     * a host file (freeze to the file forced and moved into place; the part the process is
     * stopped for, freeze and the state's copy to thaw, beside it), and the file read back (CRC checked, decoded).
     * Median of 7 rounds after one warm-up, printed as the benches print figures.
     */
    @Test
    void shouldPrintTheCheckpointFigures(@TempDir Path dir) throws Exception {
        for (int mib : new int[] {1, 64}) {
            Out out = new Out();
            ProcessInfo p = table.spawn(ProcessSpec.of("Ballast", programs).withArgs(Integer.toString(mib)).withStdout(out));
            waitFor("its state", () -> out.text().contains("ready "));
            Path file = dir.resolve("ballast-" + mib + ".ckpt");
            long[] total = new long[7];
            long[] stopped = new long[7];
            long[] read = new long[7];
            for (int r = -1; r < total.length; r++) {
                long t0 = System.nanoTime();
                checkpointer.checkpoint(p.pid(), file);
                long t1 = System.nanoTime();
                byte[] copy = table.freeze(p.pid(), TimeUnit.SECONDS.toNanos(5)).resume().state().clone();
                long t2 = System.nanoTime();
                table.thaw(p.pid());
                assertEquals(mib << 20, copy.length);
                long t3 = System.nanoTime();
                CheckpointFile.Checkpoint c = CheckpointFile.read(file, CheckpointFile::hostPath);
                long t4 = System.nanoTime();
                assertEquals(mib << 20, c.frozen().resume().state().length);
                if (r >= 0) {
                    total[r] = t1 - t0;
                    stopped[r] = t3 - t1; // freeze (safe point, its checkpoint(), the copy) to thaw: what a checkpoint stops it for
                    read[r] = t4 - t3;
                }
            }
            Arrays.sort(total);
            Arrays.sort(stopped);
            Arrays.sort(read);
            System.out.printf(java.util.Locale.ROOT, "mosix checkpoint-%dMiB-median %.1f ms%nmosix checkpoint-%dMiB-frozen-median"
                    + " %.1f ms%nmosix checkpoint-%dMiB-read-median %.1f ms%n", mib, total[3] / 1e6, mib, stopped[3] / 1e6,
                    mib, read[3] / 1e6);
            table.signal(p.pid(), Signal.SIGKILL);
            table.onExit(p.pid()).get(20, TimeUnit.SECONDS);
        }
    }

    /**
     * The seam for {@code vfs:}: a checkpoint written into another file system (a zip file
     * system: no atomic move, so the plain replace after the complete write), with a class path
     * there, read back through a resolver of that scheme, and restarted from it.
     */
    @Test
    void shouldWriteAndRestartACheckpointOnAnotherFileSystem(@TempDir Path dir) throws Exception {
        Path outer = dir.resolve("volume.zip");
        try (java.nio.file.FileSystem zip = java.nio.file.FileSystems.newFileSystem(outer, Map.of("create", "true"))) {
            Path classes = zip.getPath("/classes");
            Files.createDirectories(classes);
            Files.copy(programs.resolve("Summer.class"), classes.resolve("Summer.class"));
            Out out = new Out();
            ProcessInfo p = table.spawn(ProcessSpec.of("Summer", classes).withArgs("2000").withStdout(out));
            waitFor("it to count", () -> out.text().contains("at 200\n"));
            Path file = zip.getPath("/summer.ckpt");
            checkpointer.checkpoint(p.pid(), file);
            table.signal(p.pid(), Signal.SIGKILL);
            table.onExit(p.pid()).get(20, TimeUnit.SECONDS);

            // as a vnode's Vfs.path(URI) does for vfs: the path within this file system
            java.util.function.Function<java.net.URI, Path> paths = uri -> "jar".equals(uri.getScheme())
                    ? zip.getPath(uri.getSchemeSpecificPart().substring(uri.getSchemeSpecificPart().indexOf('!') + 1))
                    : CheckpointFile.hostPath(uri);
            Frozen f = CheckpointFile.read(file, paths).frozen();
            assertEquals(java.util.List.of(classes), f.spec().classPath(), "the class path, in the zip, resolved back");
            Out again = new Out();
            long pid = table.reserveDeputyPid();
            table.spawnMoved(pid, 4, f.spec().withStdout(again), f.resume());
            assertEquals(0, table.onExit(pid).get(30, TimeUnit.SECONDS).code(), again.text());
            assertTrue(restoredAt(again.text()) >= 200, again.text());
            assertTrue(again.text().contains("sum 1999000\n"), again.text());
        }
    }

    @Test
    void shouldRefuseAPathOfAnotherSchemeWithoutItsFileSystem() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CheckpointFile.hostPath(java.net.URI.create("vfs:/tmp/x")));
        assertTrue(e.getMessage().contains("scheme=vfs"), e.getMessage());
    }
}
