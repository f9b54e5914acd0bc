package org.smpcluster.vnet;

import java.nio.file.Path;

import org.smpcluster.nanokernel.Kernel;

/** A root vnode in its own JVM, for tests that kill it: {@code RootProcess DIR CLUSTER}; says "up", runs until stdin closes. */
public final class RootProcess {

    public static void main(String[] args) throws Exception {
        try (Kernel root = Kernel.boot(Kernel.Config.root(Path.of(args[0]), args[1], 64L << 20))) {
            System.out.println("up");
            System.out.flush();
            System.in.read();
        }
    }
}
