package org.smpcluster.mosix.proc;

import java.io.IOException;
import java.nio.file.Path;

/** The compiled test programs, for tests outside this package. */
public final class TestPrograms {

    private TestPrograms() {
    }

    public static Path classes() throws IOException {
        return Programs.classes();
    }
}
