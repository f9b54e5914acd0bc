package org.smpcluster.run;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

import javax.inject.Inject;

import org.junit.AfterClass;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.smpcluster.api.bootloader.Bootloader;
import org.smpcluster.api.bootloader.RestartPolicy;
import org.smpcluster.api.bootloader.VnodeSpec;
import org.smpcluster.api.console.Consoles;
import org.smpcluster.api.nanokernel.VnodeState;
import org.smpcluster.api.vfs.Vfs;

/**
 * The cluster filesystem in the kernel image: the root (this Pax Exam container) and vnode 1
 * (its own process, driven through its console) share /tmp through the one page cache, and a
 * restarted vnode 1 still finds what it wrote.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class VfsIT {

    static final String CLUSTER = "vfsit-" + ProcessHandle.current().pid();
    static final String PHYSMEM = ImageOptions.physmemOf(CLUSTER);
    static final long DEADLINE_NANOS = VnodeScreen.DEADLINE_NANOS;

    @Inject
    Bootloader kmb;

    @Inject
    Consoles consoles;

    @Inject
    Vfs vfs;

    @Configuration
    public Option[] config() {
        return ImageOptions.root(CLUSTER, "256m").toArray(Option[]::new);
    }

    @AfterClass
    public static void cleanUp() throws IOException {
        ImageOptions.killVnodes(PHYSMEM);
        Path repository = Path.of(System.getProperty("java.io.tmpdir"), "smpcluster-vfs-" + CLUSTER);
        if (Files.exists(repository)) {
            try (Stream<Path> s = Files.walk(repository)) {
                for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }

    @Test
    public void shouldShareTmpBetweenTheRootAndAVnodeThroughThePageCache() throws Exception {
        Files.writeString(vfs.path("/tmp/from-root"), "written-by-the-root");
        assertEquals(VnodeState.JOINED,
                kmb.boot(new VnodeSpec(1, List.of(1), 64L << 20, List.of(), RestartPolicy.NEVER), l -> { }).state());
        try {
            await("vnode 1's console shows its prompt", () -> screen().endsWith("g! "));
            retype("vnode 1's filesystem is up", "vfs:status\r", "tmp on /tmp");
            type("vfs:cat /tmp/from-root\r");
            await("vnode 1 reads what the root wrote", () -> screen().contains("\r\nwritten-by-the-root"));
            type("vfs:write /tmp/from-1 written-by-vnode-1\r");
            await("vnode 1 wrote", () -> screen().contains("wrote /tmp/from-1"));
            assertEquals("written-by-vnode-1\n", Files.readString(vfs.path("/tmp/from-1")));
            assertTrue("the root took vnode 1's write token", vfs.pageCache().revocations() > 0);

            kmb.restart(1, l -> { });
            await("vnode 1 back", () -> screen().endsWith("g! "));
            retype("the restarted vnode 1 reads the file it wrote in its last life", "vfs:cat /tmp/from-1\r",
                    "\r\nwritten-by-vnode-1");
        } finally {
            kmb.stop(1);
        }
    }

    /** Types {@code keys} every 2 s until the screen shows {@code expected} (a vnode's client connects after its prompt). */
    private void retype(String what, String keys, String expected) throws InterruptedException {
        long end = System.nanoTime() + DEADLINE_NANOS;
        while (System.nanoTime() < end) {
            type(keys);
            long next = System.nanoTime() + 2_000_000_000L;
            while (System.nanoTime() < next) {
                if (screen().contains(expected)) {
                    return;
                }
                Thread.sleep(50);
            }
        }
        throw new AssertionError(what + ": not within " + DEADLINE_NANOS / 1_000_000_000 + " s; vnode 1's screen:\n" + screen());
    }

    private void type(String keys) {
        new VnodeScreen(consoles, 1).type(keys);
    }

    private String screen() {
        return new VnodeScreen(consoles, 1).text();
    }

    private void await(String what, BooleanSupplier condition) throws InterruptedException {
        new VnodeScreen(consoles, 1).await(what, condition);
        assertNotEquals(0, what.length());
    }
}
