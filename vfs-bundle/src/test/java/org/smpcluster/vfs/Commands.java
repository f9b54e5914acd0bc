package org.smpcluster.vfs;

import org.smpcluster.vfs.server.VfsServer;

/** The {@code vfs:} commands of a test vnode, for tests outside this package. */
public final class Commands {

    private Commands() {
    }

    public static VfsCommands of(VfsService vfs, VfsServer server) {
        return new VfsCommands(vfs, server);
    }

    /** What the driver asks while it waits for the server: whether the root still lives. */
    public static java.util.function.BooleanSupplier rootAlive(org.smpcluster.api.nanokernel.Nanokernel nanokernel) {
        return VfsDriver.rootAlive(nanokernel);
    }
}
