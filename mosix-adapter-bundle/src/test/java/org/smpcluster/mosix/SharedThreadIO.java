package org.smpcluster.mosix;

import org.apache.felix.gogo.runtime.threadio.ThreadIOImpl;

/**
 * One started Gogo {@link ThreadIOImpl} for every command test of this JVM, never stopped.
 *
 * <p>A ThreadIO owns {@code System.out}: {@code start} installs its stream, {@code stop} puts the
 * old one back, and every {@code setStreams}/{@code close} of a command's pipe thread installs its
 * stream again if it finds another. A pipe thread's {@code close} can run just after
 * {@code session.execute} returned, so a test that stopped its ThreadIO in {@code @AfterEach}
 * sometimes left the next test's {@code start} to fail with "Thread Print Stream already set" (CI,
 * 2026-12-05). Sessions still write to their own streams; only the JVM-wide stream is shared.
 */
final class SharedThreadIO {

    private static ThreadIOImpl threadIO;

    private SharedThreadIO() {
    }

    static synchronized ThreadIOImpl get() {
        if (threadIO == null) {
            threadIO = new ThreadIOImpl();
            threadIO.start();
        }
        return threadIO;
    }
}
