package org.smpcluster.console.tty;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * Terminal settings as termios holds them: input, output and local flags and the control
 * characters. Changed with {@code stty}'s vocabulary ({@link #stty}). A control character of 0
 * is disabled ({@code undef}), as Linux's {@code _POSIX_VDISABLE}.
 */
public final class Termios {

    /** The flags this line discipline knows (input, output and local flags of termios). */
    public enum Flag {
        // input
        ISTRIP, INLCR, IGNCR, ICRNL, IXON, IXANY, IUTF8,
        // output
        OPOST, ONLCR, OCRNL, ONOCR, ONLRET,
        // local
        ISIG, ICANON, ECHO, ECHOE, ECHOK, ECHONL, NOFLSH, ECHOCTL, ECHOPRT, ECHOKE, IEXTEN;

        String sttyName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** The control characters, with their {@code stty} names. */
    public enum Cc {
        VINTR("intr"), VQUIT("quit"), VERASE("erase"), VKILL("kill"), VEOF("eof"), VEOL("eol"), VEOL2("eol2"),
        VSTART("start"), VSTOP("stop"), VSUSP("susp"), VREPRINT("rprnt"), VWERASE("werase"), VLNEXT("lnext"),
        VMIN("min"), VTIME("time");

        final String stty;

        Cc(String stty) {
            this.stty = stty;
        }
    }

    private final EnumSet<Flag> flags = EnumSet.noneOf(Flag.class);
    private final int[] cc = new int[Cc.values().length];

    private Termios() {
    }

    /**
     * The settings of a new pseudo-terminal after {@code stty sane}: ICRNL IXON, OPOST ONLCR,
     * ISIG ICANON IEXTEN ECHO ECHOE ECHOK ECHOCTL ECHOKE; ^C ^\ ^? ^U ^D, no EOL/EOL2, ^Q ^S ^Z
     * ^R ^W ^V, MIN 1, TIME 0. (IUTF8 is off, as the kernel leaves it.)
     */
    public static Termios sane() {
        Termios t = new Termios();
        t.flags.addAll(EnumSet.of(Flag.ICRNL, Flag.IXON, Flag.OPOST, Flag.ONLCR, Flag.ISIG, Flag.ICANON, Flag.IEXTEN,
                Flag.ECHO, Flag.ECHOE, Flag.ECHOK, Flag.ECHOCTL, Flag.ECHOKE));
        t.set(Cc.VINTR, 0x03);
        t.set(Cc.VQUIT, 0x1c);
        t.set(Cc.VERASE, 0x7f);
        t.set(Cc.VKILL, 0x15);
        t.set(Cc.VEOF, 0x04);
        t.set(Cc.VSTART, 0x11);
        t.set(Cc.VSTOP, 0x13);
        t.set(Cc.VSUSP, 0x1a);
        t.set(Cc.VREPRINT, 0x12);
        t.set(Cc.VWERASE, 0x17);
        t.set(Cc.VLNEXT, 0x16);
        t.set(Cc.VMIN, 1);
        t.set(Cc.VTIME, 0);
        return t;
    }

    public Termios copy() {
        Termios t = new Termios();
        t.flags.addAll(flags);
        System.arraycopy(cc, 0, t.cc, 0, cc.length);
        return t;
    }

    public boolean is(Flag f) {
        return flags.contains(f);
    }

    public int cc(Cc c) {
        return cc[c.ordinal()];
    }

    public Set<Flag> flags() {
        return EnumSet.copyOf(flags);
    }

    public Termios set(Flag f, boolean on) {
        if (on) {
            flags.add(f);
        } else {
            flags.remove(f);
        }
        return this;
    }

    public Termios set(Cc c, int value) {
        if (value < 0 || value > 255) {
            throw new IllegalArgumentException(c.stty + " " + value + ": a control character is 0..255");
        }
        cc[c.ordinal()] = value;
        return this;
    }

    /**
     * Applies settings in {@code stty}'s words: a flag ({@code echoe}) or its negation
     * ({@code -echoe}); a control character and its value ({@code erase ^H}, {@code veol =},
     * {@code eol undef}, {@code intr 3}); {@code min N}, {@code time N}; and the combinations
     * {@code sane raw -raw cooked cbreak -cbreak crt nl -nl}.
     *
     * @throws IllegalArgumentException naming the word it does not know
     */
    public Termios stty(String settings) {
        String[] w = settings.strip().isEmpty() ? new String[0] : settings.strip().split("\\s+");
        for (int i = 0; i < w.length; i++) {
            String word = w[i];
            Cc c = ccNamed(word);
            if (c != null) {
                if (i + 1 >= w.length) {
                    throw new IllegalArgumentException("stty: '" + word + "' needs a value");
                }
                set(c, c == Cc.VMIN || c == Cc.VTIME ? number(w[++i], word) : character(w[++i], word));
                continue;
            }
            if (combination(word)) {
                continue;
            }
            boolean off = word.startsWith("-");
            String name = off ? word.substring(1) : word;
            Flag f = flagNamed(name);
            if (f == null) {
                throw new IllegalArgumentException("stty: invalid argument '" + word + "'");
            }
            set(f, !off);
        }
        return this;
    }

    private static Cc ccNamed(String word) {
        String name = word.startsWith("v") && !word.equals("vt0") ? word.substring(1) : word;
        for (Cc c : Cc.values()) {
            if (c.stty.equals(word) || c.stty.equals(name) || (c == Cc.VREPRINT && (name.equals("reprint")))) {
                return c;
            }
        }
        return null;
    }

    private static Flag flagNamed(String name) {
        for (Flag f : Flag.values()) {
            if (f.sttyName().equals(name)) {
                return f;
            }
        }
        return null;
    }

    private boolean combination(String word) {
        switch (word) {
            case "sane" -> {
                Termios s = sane();
                boolean utf8 = is(Flag.IUTF8);
                flags.clear();
                flags.addAll(s.flags);
                set(Flag.IUTF8, utf8);
                System.arraycopy(s.cc, 0, cc, 0, cc.length);
            }
            case "raw" -> {
                for (Flag f : new Flag[] {Flag.INLCR, Flag.IGNCR, Flag.ICRNL, Flag.IXON, Flag.IXANY, Flag.ISTRIP,
                    Flag.ICANON, Flag.OPOST, Flag.ISIG}) {
                    set(f, false);
                }
                set(Cc.VMIN, 1);
                set(Cc.VTIME, 0);
            }
            case "-raw", "cooked" -> {
                for (Flag f : new Flag[] {Flag.ICRNL, Flag.IXON, Flag.ICANON, Flag.OPOST, Flag.ISIG}) {
                    set(f, true);
                }
            }
            case "cbreak" -> set(Flag.ICANON, false);
            case "-cbreak" -> set(Flag.ICANON, true);
            case "crt" -> {
                set(Flag.ECHOE, true);
                set(Flag.ECHOCTL, true);
                set(Flag.ECHOKE, true);
            }
            case "nl" -> {
                set(Flag.ICRNL, false);
                set(Flag.ONLCR, false);
            }
            case "-nl" -> {
                set(Flag.ICRNL, true);
                set(Flag.INLCR, false);
                set(Flag.IGNCR, false);
                set(Flag.ONLCR, true);
                set(Flag.OCRNL, false);
                set(Flag.ONLRET, false);
            }
            default -> {
                return false;
            }
        }
        return true;
    }

    /** {@code ^X}, {@code ^?}, {@code ^-} or {@code undef}, a number, or a single character. */
    private static int character(String value, String name) {
        if (value.equals("undef") || value.equals("^-")) {
            return 0;
        }
        if (value.length() == 2 && value.charAt(0) == '^') {
            char x = value.charAt(1);
            return x == '?' ? 0x7f : Character.toUpperCase(x) & 0x1f;
        }
        if (value.length() == 1) {
            return value.charAt(0);
        }
        return number(value, name);
    }

    private static int number(String value, String name) {
        try {
            int n = value.startsWith("0x") ? Integer.parseInt(value.substring(2), 16)
                    : value.length() > 1 && value.startsWith("0") ? Integer.parseInt(value.substring(1), 8)
                    : Integer.parseInt(value);
            if (n < 0 || n > 255) {
                throw new IllegalArgumentException("stty: " + name + " " + value + ": out of range 0..255");
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("stty: " + name + ": invalid value '" + value + "'");
        }
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder();
        for (Flag f : Flag.values()) {
            s.append(is(f) ? "" : "-").append(f.sttyName()).append(' ');
        }
        for (Cc c : Cc.values()) {
            int v = cc(c);
            String shown = c == Cc.VMIN || c == Cc.VTIME ? Integer.toString(v)
                    : v == 0 ? "undef" : v == 0x7f ? "^?" : v < 0x20 ? "^" + (char) (v ^ 0x40) : String.valueOf((char) v);
            s.append(c.stty).append(" = ").append(shown).append("; ");
        }
        return s.toString().strip();
    }
}
