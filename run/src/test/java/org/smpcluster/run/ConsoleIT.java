package org.smpcluster.run;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.BooleanSupplier;

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

/**
 * The root types on vnode 1's console (its own process, its own shell over its line
 * discipline) and reads its screen: a command runs there, ^C interrupts a long one, and a
 * restarted vnode has a fresh console.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class ConsoleIT {

    static final String CLUSTER = "consoleit-" + ProcessHandle.current().pid();
    static final String PHYSMEM = ImageOptions.physmemOf(CLUSTER);

    @Inject
    Bootloader kmb;

    @Inject
    Consoles consoles;

    @Configuration
    public Option[] config() {
        return ImageOptions.root(CLUSTER, "256m").toArray(Option[]::new);
    }

    @AfterClass
    public static void killLeftovers() {
        ImageOptions.killVnodes(PHYSMEM);
    }

    @Test
    public void shouldRunACommandOnAVnodesConsoleInterruptItAndStartFreshAfterARestart() throws Exception {
        assertEquals(VnodeState.JOINED,
                kmb.boot(new VnodeSpec(1, List.of(1), 64L << 20, List.of(), RestartPolicy.NEVER), l -> { }).state());
        try {
            await("vnode 1's console shows its prompt", () -> screen(1).endsWith("g! "));
            consoles.type(1, "nk:status\r".getBytes(StandardCharsets.US_ASCII));
            await("the command ran on vnode 1", () -> screen(1).contains("vnode               1\r\n"));
            assertTrue("typed keys are echoed by vnode 1's line discipline", screen(1).contains("g! nk:status\r\n"));

            consoles.type(1, "console:sleep 600\r".getBytes(StandardCharsets.US_ASCII));
            await("the long command started", () -> screen(1).endsWith("console:sleep 600\r\n"));
            long typed = System.nanoTime();
            consoles.type(1, new byte[] {0x03}); // ^C
            await("^C interrupted it", () -> screen(1).contains("^Cinterrupted\r\ng! "));
            assertTrue("interrupted at once, not after 600 s", System.nanoTime() - typed < 10_000_000_000L);

            consoles.type(1, "abc\u007f\u007fx\r".getBytes(StandardCharsets.US_ASCII)); // DEL DEL: erase
            await("erase on the vnode's line discipline", () -> screen(1).contains("abc\b \b\b \bx\r\n"));
            await("the edited line ran", () -> screen(1).contains("error: Command not found: ax"));

            kmb.restart(1, l -> { });
            await("vnode 1 back with a fresh console", () -> screen(1).endsWith("g! "));
            assertFalse("a restarted vnode's console starts empty", screen(1).contains("nk:status"));
        } finally {
            kmb.stop(1);
        }
    }

    private String screen(int vnode) {
        return new VnodeScreen(consoles, vnode).text();
    }

    private void await(String what, BooleanSupplier condition) throws InterruptedException {
        new VnodeScreen(consoles, 1).await(what, condition);
        assertNotEquals(0, what.length());
    }
}
