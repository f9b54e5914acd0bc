package org.smpcluster.run;

import java.nio.charset.StandardCharsets;
import java.util.function.BooleanSupplier;

import org.smpcluster.api.console.Consoles;

/** A vnode's console as the root sees it, for the integration tests: its screen, and waiting for it to show something. */
final class VnodeScreen {

    static final long DEADLINE_NANOS = 30_000_000_000L;

    private final Consoles consoles;
    private final int vnode;

    VnodeScreen(Consoles consoles, int vnode) {
        this.consoles = consoles;
        this.vnode = vnode;
    }

    /** The last 64 KiB the vnode's console showed, or "" while it is not up. */
    String text() {
        try {
            return new String(consoles.scrollback(vnode, 65536), StandardCharsets.UTF_8);
        } catch (IllegalStateException e) {
            return ""; // not up yet
        }
    }

    void type(String keys) {
        consoles.type(vnode, keys.getBytes(StandardCharsets.US_ASCII));
    }

    /** Waits (with a deadline) until {@code condition} holds; fails with the screen otherwise. */
    void await(String what, BooleanSupplier condition) throws InterruptedException {
        long end = System.nanoTime() + DEADLINE_NANOS;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError(what + ": not within " + DEADLINE_NANOS / 1_000_000_000 + " s; vnode " + vnode
                        + "'s screen:\n" + text());
            }
            Thread.sleep(20);
        }
    }
}
