package org.smpcluster.console;

import java.util.ArrayList;
import java.util.List;

import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Parameter;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.smpcluster.console.tty.Escapes;
import org.smpcluster.console.tty.LineDiscipline;
import org.smpcluster.console.tty.Termios;

/**
 * {@code console:ldisc}: runs a byte string through a fresh line discipline and shows, escaped,
 * the echo and each read a program would get. For people debugging terminal behaviour, and
 * for tests.
 */
@Component(configurationPolicy = ConfigurationPolicy.IGNORE, service = LdiscCommand.class, property = {
        "osgi.command.scope=console",
        "osgi.command.function=ldisc"})
public final class LdiscCommand {

    @Descriptor("run typed bytes through a fresh N_TTY line discipline; show the echo and each read")
    public String ldisc(
            @Descriptor("stty-style settings on top of 'stty sane', e.g. '-echoe veol = iutf8'")
            @Parameter(names = {"-s", "--stty"}, absentValue = "") String stty,
            @Descriptor("the cursor column when input starts (a prompt's width)")
            @Parameter(names = {"-c", "--column"}, absentValue = "0") int column,
            @Descriptor("read sizes, comma-separated (default: 4096 until a read would block)")
            @Parameter(names = {"-r", "--reads"}, absentValue = "") String reads,
            @Descriptor("the input: text, with \\n \\r \\t \\b \\e \\xHH, ^X for control characters, \\^ for a caret")
            String input) {
        return run(stty, column, reads, input);
    }

    static String run(String stty, int column, String reads, String input) {
        if (column < 0 || column > 4096) {
            throw new IllegalArgumentException("--column=" + column + " is outside 0..4096");
        }
        Termios termios = Termios.sane().stty(stty);
        List<Integer> sizes = new ArrayList<>();
        if (!reads.isBlank()) {
            for (String size : reads.split(",")) {
                int n;
                try {
                    n = Integer.parseInt(size.strip());
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("--reads: '" + size + "' is not a number of bytes");
                }
                if (n < 1 || n > 65_536) {
                    throw new IllegalArgumentException("--reads: a read of " + n + " bytes; each is 1..65536");
                }
                sizes.add(n);
            }
        }
        List<String> signals = new ArrayList<>();
        LineDiscipline ld = new LineDiscipline(termios, signal -> signals.add(switch (signal) {
            case LineDiscipline.SIGINT -> "SIGINT";
            case LineDiscipline.SIGQUIT -> "SIGQUIT";
            default -> "SIGTSTP";
        }));
        ld.column(column);
        ld.receive(Escapes.unescape(input));
        StringBuilder out = new StringBuilder();
        out.append("echo:   \"").append(Escapes.escape(ld.takeEcho())).append("\"\n");
        boolean lastWasEnd = false;
        for (int i = 0; i < 64; i++) {
            int size = sizes.isEmpty() ? 4096 : i < sizes.size() ? sizes.get(i) : -1;
            if (size < 0) {
                break;
            }
            byte[] got = ld.read(size);
            if (got == null) {
                out.append("read ").append(i + 1).append(": would block\n");
                break;
            }
            if (got.length == 0 && sizes.isEmpty() && i > 0 && lastWasEnd) {
                out.append("read ").append(i + 1).append(": end of file, and so on (MIN 0 TIME 0 polls)\n");
                break;
            }
            lastWasEnd = got.length == 0;
            out.append("read ").append(i + 1).append(": ")
                    .append(got.length == 0 ? "end of file" : "\"" + Escapes.escape(got) + "\"").append('\n');
        }
        if (!signals.isEmpty()) {
            out.append("signals: ").append(String.join(", ", signals)).append('\n');
        }
        return out.toString().stripTrailing();
    }
}
