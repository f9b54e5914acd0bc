package org.smpcluster.mosix.proc;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;

/** For tests in other packages: the compiled test programs, and threads as a vnode would make them. */
public final class TestSupport {

    private TestSupport() {
    }

    public static Path programs() throws IOException {
        return Programs.classes();
    }

    public static Thread daemon(String name, Runnable body) {
        Thread t = new Thread(body, name);
        t.setDaemon(true);
        return t;
    }

    public static OutputStream sink() {
        return new Programs.Capture();
    }
}
