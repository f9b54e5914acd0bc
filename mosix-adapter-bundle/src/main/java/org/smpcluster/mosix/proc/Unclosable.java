package org.smpcluster.mosix.proc;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * A process's stdio as the program sees it: {@code System.out.close()} in a program must not
 * close the vnode's console or the shell session it was started from, which outlive it. A close
 * flushes; everything else passes through.
 */
final class Unclosable {

    private Unclosable() {
    }

    static OutputStream of(OutputStream out) {
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                out.write(b);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                out.write(b, off, len);
            }

            @Override
            public void flush() throws IOException {
                out.flush();
            }

            @Override
            public void close() throws IOException {
                out.flush();
            }
        };
    }

    static InputStream of(InputStream in) {
        return new FilterInputStream(in) {
            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                return in.read(b, off, len);
            }

            @Override
            public void close() {
                // the stream belongs to whoever started the process
            }
        };
    }
}
