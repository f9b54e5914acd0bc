package org.smpcluster.vfs;

import org.smpcluster.vfs.server.VfsServer;

/** The {@code vfs:} commands of a test vnode, for tests outside this package. */
public final class Commands {

    private Commands() {
    }

    public static VfsCommands of(VfsService vfs, VfsServer server) {
        return new VfsCommands(vfs, server);
    }
}
