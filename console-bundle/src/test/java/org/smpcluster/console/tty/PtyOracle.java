package org.smpcluster.console.tty;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The reference for {@link LineDiscipline}: runs a case through the kernel's own N_TTY on a real
 * pseudo-terminal, with {@code pty_oracle.py} (a resource next to this class) under
 * {@code python3}. Linux only.
 */
final class PtyOracle {

    /** What the kernel echoed, and what the reads on the slave side returned (an empty array: end of file). */
    record Result(byte[] echo, List<byte[]> reads) {
    }

    private static final long DEADLINE_SECONDS = 20;
    private static final String SCRIPT = "pty_oracle.py";
    private static final Pattern ECHO = Pattern.compile("\"echo\"\\s*:\\s*\"([0-9a-f]*)\"");
    private static final Pattern READS = Pattern.compile("\"reads\"\\s*:\\s*\\[([^\\]]*)\\]");
    private static final Pattern HEX_STRING = Pattern.compile("\"([0-9a-f]*)\"");

    private static Boolean available;
    private static Path script;

    private PtyOracle() {
    }

    /** Whether the oracle can run here: Linux, {@code python3} with pty support, {@code stty}, and an openable /dev/ptmx. */
    static synchronized boolean available() {
        if (available == null) {
            available = probe();
        }
        return available;
    }

    private static boolean probe() {
        if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("linux")) {
            return false;
        }
        try (RandomAccessFile ptmx = new RandomAccessFile("/dev/ptmx", "rw")) {
            // opening the multiplexer allocates a pty pair; closing it frees it again
        } catch (IOException | SecurityException e) {
            return false;
        }
        try {
            Process p = new ProcessBuilder("python3", "-c",
                    "import os, pty, termios, fcntl, shutil, sys\n"
                            + "m, s = os.openpty(); os.close(m); os.close(s)\n"
                            + "sys.exit(0 if shutil.which('stty') else 1)")
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
            p.getOutputStream().close();
            if (!p.waitFor(DEADLINE_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return false;
            }
            return p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * Runs one case: {@code stty sane} and then {@code stty} (settings in stty's syntax, may be
     * empty), the cursor at {@code column}, {@code input} typed as one chunk, then non-blocking reads
     * of the given sizes (empty: 4096 until a read would block; 64 reads at most).
     */
    static Result run(String stty, int column, byte[] input, List<Integer> reads) throws IOException, InterruptedException {
        String request = "{\"stty\": " + jsonString(stty)
                + ", \"column\": " + column
                + ", \"input\": \"" + HexFormat.of().formatHex(input) + "\""
                + ", \"reads\": " + reads
                + "}";
        Process p = new ProcessBuilder("python3", script().toString()).start();
        try {
            CompletableFuture<byte[]> stdout = drain(p.getInputStream());
            CompletableFuture<byte[]> stderr = drain(p.getErrorStream());
            try (OutputStream in = p.getOutputStream()) {
                in.write(request.getBytes(StandardCharsets.UTF_8));
            }
            if (!p.waitFor(DEADLINE_SECONDS, TimeUnit.SECONDS)) {
                throw new IOException("pty oracle: no answer within " + DEADLINE_SECONDS + " s for " + request);
            }
            String out = new String(get(stdout), StandardCharsets.UTF_8);
            String err = new String(get(stderr), StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                throw new IOException("pty oracle failed (exit " + p.exitValue() + "): " + err.strip() + " for " + request);
            }
            return parse(out, request);
        } finally {
            if (p.isAlive()) {
                p.destroyForcibly();
            }
        }
    }

    private static Result parse(String out, String request) throws IOException {
        Matcher echo = ECHO.matcher(out);
        Matcher reads = READS.matcher(out);
        if (!echo.find() || !reads.find()) {
            throw new IOException("pty oracle: unexpected answer '" + out.strip() + "' for " + request);
        }
        List<byte[]> results = new ArrayList<>();
        Matcher item = HEX_STRING.matcher(reads.group(1));
        while (item.find()) {
            results.add(HexFormat.of().parseHex(item.group(1)));
        }
        return new Result(HexFormat.of().parseHex(echo.group(1)), List.copyOf(results));
    }

    private static synchronized Path script() throws IOException {
        if (script == null) {
            Path file = Files.createTempFile("pty_oracle", ".py");
            file.toFile().deleteOnExit();
            try (InputStream in = PtyOracle.class.getResourceAsStream(SCRIPT)) {
                if (in == null) {
                    throw new IOException("resource " + SCRIPT + " is missing next to " + PtyOracle.class.getName());
                }
                Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
            }
            script = file;
        }
        return script;
    }

    private static CompletableFuture<byte[]> drain(InputStream stream) {
        return CompletableFuture.supplyAsync(() -> {
            try (stream) {
                return stream.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    private static byte[] get(CompletableFuture<byte[]> output) throws IOException, InterruptedException {
        try {
            return output.get(DEADLINE_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IOException("pty oracle: reading its output failed", e);
        }
    }

    private static String jsonString(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                default -> {
                    if (c < 0x20 || c > 0x7e) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }
}
