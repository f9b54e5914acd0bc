package org.smpcluster.api.console;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The vnodes' consoles, each a local bridge of its vnode with an input ring (the keyboard) and
 * an output ring (the screen, which keeps the last bytes written as scrollback), a line
 * discipline and a shell session on the vnode's side. The root reaches every vnode's console,
 * a vnode only its own.
 */
@ProviderType
public interface Consoles {

    /** The most recent output of {@code vnode}'s console, at most {@code max} bytes. */
    byte[] scrollback(int vnode, int max);

    /**
     * Types {@code keys} on {@code vnode}'s console, as a terminal attached to it would.
     *
     * @throws IllegalStateException if the vnode has no console (it is not up)
     */
    void type(int vnode, byte[] keys);

    /** Bytes ever written to {@code vnode}'s console screen: where new output starts. */
    long written(int vnode);
}
