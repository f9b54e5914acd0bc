package org.smpcluster.api.process;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * State a program can hand over so that it can move between vnodes (and be checkpointed): the
 * program declares it with {@link ThisProcess#migratable(Migratable)}. The runtime calls
 * {@link #checkpoint()} with the process frozen at a safe point (none of its threads runs program
 * code), ships the bytes, and on the target calls {@link #restore(byte[])} on a fresh instance of
 * the same program before letting it run again. Unmodified programs need none of this (they are
 * simply not migratable yet).
 */
@ConsumerType
public interface Migratable {

    /** The program's state, complete enough for {@link #restore(byte[])} to continue from it. */
    byte[] checkpoint();

    /** Continue from a state {@link #checkpoint()} produced (on this vnode or another). */
    void restore(byte[] state);
}
