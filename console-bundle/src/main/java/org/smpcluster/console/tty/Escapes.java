package org.smpcluster.console.tty;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Byte strings written as text, as the case table and {@code console:ldisc} use them: printable
 * ASCII stands for itself; {@code \\n \\r \\t \\b \\e \\\\} and {@code \\xHH} are bytes;
 * {@code ^X} is the control character X (ASCII X xor 0x40, so {@code ^?} is DEL and
 * {@code ^^} is 0x1e); {@code \\^} is a caret. Anything else outside ASCII (UTF-8 text) stands
 * for its UTF-8 bytes.
 */
public final class Escapes {

    private Escapes() {
    }

    public static byte[] unescape(String text) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\\') {
                if (i + 1 >= text.length()) {
                    throw new IllegalArgumentException("'" + text + "' ends with a lone backslash");
                }
                char e = text.charAt(++i);
                switch (e) {
                    case 'n' -> out.write('\n');
                    case 'r' -> out.write('\r');
                    case 't' -> out.write('\t');
                    case 'b' -> out.write('\b');
                    case 'e' -> out.write(0x1b);
                    case '\\' -> out.write('\\');
                    case '^' -> out.write('^');
                    case 'x' -> {
                        if (i + 2 >= text.length() || Character.digit(text.charAt(i + 1), 16) < 0
                                || Character.digit(text.charAt(i + 2), 16) < 0) {
                            throw new IllegalArgumentException("'" + text + "': \\x needs two hex digits (\\x00..\\xff)");
                        }
                        out.write(Integer.parseInt(text.substring(i + 1, i + 3), 16));
                        i += 2;
                    }
                    default -> throw new IllegalArgumentException("'" + text + "': unknown escape \\" + e);
                }
            } else if (c == '^') {
                if (i + 1 >= text.length()) {
                    throw new IllegalArgumentException("'" + text + "' ends with a lone ^ (write \\^ for a caret)");
                }
                char x = Character.toUpperCase(text.charAt(++i));
                if (x < '?' || x > '_') {
                    throw new IllegalArgumentException("'" + text + "': ^" + text.charAt(i) + " is no control character;"
                            + " ^X takes X in @ A-Z [ \\ ] ^ _ ? (or a-z); write \\^ for a caret");
                }
                out.write(x ^ 0x40);
            } else if (c < 0x80) {
                out.write(c);
            } else {
                int end = Character.isHighSurrogate(c) && i + 1 < text.length() ? i + 2 : i + 1;
                out.writeBytes(text.substring(i, end).getBytes(StandardCharsets.UTF_8));
                i = end - 1;
            }
        }
        return out.toByteArray();
    }

    /** The bytes as {@link #unescape} reads them back: control characters as {@code ^X} or {@code \\n \\r \\t}, others above 0x7e as {@code \\xHH}. */
    public static String escape(byte[] bytes) {
        StringBuilder s = new StringBuilder();
        for (byte b : bytes) {
            int c = b & 0xFF;
            switch (c) {
                case '\n' -> s.append("\\n");
                case '\r' -> s.append("\\r");
                case '\t' -> s.append("\\t");
                case '\\' -> s.append("\\\\");
                case '^' -> s.append("\\^");
                default -> {
                    if (c < 0x20 || c == 0x7f) {
                        s.append('^').append((char) (c ^ 0x40));
                    } else if (c > 0x7e) {
                        s.append(String.format("\\x%02x", c));
                    } else {
                        s.append((char) c);
                    }
                }
            }
        }
        return s.toString();
    }
}
