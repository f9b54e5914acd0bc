package org.smpcluster.console.tty;

import static org.smpcluster.console.tty.Termios.Cc.*;
import static org.smpcluster.console.tty.Termios.Flag.*;

import java.io.ByteArrayOutputStream;
import java.util.function.IntConsumer;

/**
 * Linux's N_TTY line discipline, byte for byte in what a reader gets and what is echoed: the
 * same read buffer of 4096 bytes (a canonical line holds at most 4095 and its end), the same
 * echo buffer of operations (a control character echoed as {@code ^X}, columns moved back, a
 * tab erased by counting the columns since the line began or the previous tab), committed at
 * the same moments (at the end of each batch of input, or every 256 pending bytes), and the
 * same flush of input and pending echo on a signal character unless NOFLSH.
 *
 * <p>Not thread-safe: the console serializes input, reads and settings changes.
 *
 * <h2>Buffers</h2>
 * <pre>
 *  read buffer (ring of 4096)    read_tail ... canon_head ... read_head
 *                                [lines a reader may take][the line being edited]
 *  each line ends with a marked byte: the newline, EOL, EOL2, or a 0 for EOF (not delivered)
 *
 *  echo buffer (ring of 4096)    echo_tail ... echo_commit ... echo_head
 *                                [written out][committed, to write][being added]
 *  0xff starts an operation: 0xff 0xff a literal 0xff, 0xff 0x80 move back a column,
 *  0xff 0x81 set the canon column, 0xff 0x82 n erase a tab, 0xff X echo control char X as ^X
 * </pre>
 */
public final class LineDiscipline {

    /** Linux's N_TTY_BUF_SIZE: the read buffer, and so the longest canonical line with its end. */
    public static final int BUFFER = 4096;

    private static final int MASK = BUFFER - 1;
    private static final int OP_START = 0xff;
    private static final int OP_MOVE_BACK_COL = 0x80;
    private static final int OP_SET_CANON_COL = 0x81;
    private static final int OP_ERASE_TAB = 0x82;
    private static final int ECHO_COMMIT_WATERMARK = 256;
    private static final int ECHO_BLOCK = 256;
    private static final int ECHO_DISCARD_WATERMARK = BUFFER - (ECHO_BLOCK + 32);
    private static final int DISABLED = 0;

    /** The signals ISIG characters raise. */
    public static final int SIGINT = 2;
    public static final int SIGQUIT = 3;
    public static final int SIGTSTP = 20;

    private Termios t;
    private final IntConsumer signals;

    private final byte[] readBuf = new byte[BUFFER];
    private final boolean[] readFlags = new boolean[BUFFER];
    private long readHead;
    private long readTail;
    private long canonHead;
    private long commitHead;

    private final byte[] echoBuf = new byte[BUFFER];
    private long echoHead;
    private long echoTail;
    private long echoCommit;
    private long echoMark;

    private int column;
    private int canonColumn;
    private boolean erasing;
    private boolean lnext;
    private boolean icanon;
    private boolean raw;
    private boolean stopped;
    private final boolean[] special = new boolean[256];

    private final ByteArrayOutputStream terminal = new ByteArrayOutputStream();
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

    public LineDiscipline(Termios termios) {
        this(termios, signal -> { });
    }

    /** {@code signals} receives SIGINT, SIGQUIT or SIGTSTP when an ISIG character arrives. */
    public LineDiscipline(Termios termios, IntConsumer signals) {
        this.signals = signals;
        this.t = termios.copy();
        settingsChanged(null);
    }

    public Termios termios() {
        return t.copy();
    }

    /** New settings (tcsetattr): the line being edited is kept; a switch of ICANON is handled as Linux does. */
    public void termios(Termios termios) {
        Termios old = t;
        t = termios.copy();
        settingsChanged(old);
        if (stopped && old.is(IXON) && !t.is(IXON)) {
            // As n_tty_set_termios: output stopped by STOP would wait for a START that can no
            // longer come (the console would hang); clearing IXON restarts it.
            stopped = false;
            processEchoes();
        }
    }

    private void settingsChanged(Termios old) {
        if (old == null || old.is(ICANON) != t.is(ICANON)) {
            java.util.Arrays.fill(readFlags, false);
            if (!t.is(ICANON) || readHead == readTail) {
                canonHead = readTail;
            } else {
                readFlags[(int) ((readHead - 1) & MASK)] = true;
                canonHead = readHead;
            }
            commitHead = readHead;
            erasing = false;
            lnext = false;
        }
        icanon = t.is(ICANON);
        java.util.Arrays.fill(special, false);
        raw = !(t.is(ISTRIP) || t.is(IGNCR) || t.is(ICRNL) || t.is(INLCR) || icanon || t.is(IXON) || t.is(ISIG)
                || t.is(ECHO));
        if (!raw) {
            if (t.is(IGNCR) || t.is(ICRNL)) {
                special['\r'] = true;
            }
            if (t.is(INLCR)) {
                special['\n'] = true;
            }
            if (icanon) {
                mark(VERASE);
                mark(VKILL);
                mark(VEOF);
                special['\n'] = true;
                mark(VEOL);
                if (t.is(IEXTEN)) {
                    mark(VWERASE);
                    mark(VLNEXT);
                    mark(VEOL2);
                    if (t.is(ECHO)) {
                        mark(VREPRINT);
                    }
                }
            }
            if (t.is(IXON)) {
                mark(VSTART);
                mark(VSTOP);
            }
            if (t.is(ISIG)) {
                mark(VINTR);
                mark(VQUIT);
                mark(VSUSP);
            }
            special[DISABLED] = false;
        }
    }

    private void mark(Termios.Cc c) {
        special[t.cc(c)] = true;
    }

    /** The terminal's cursor column now: a prompt of that many columns was written. */
    public void column(int column) {
        this.column = column;
    }

    // Input.

    /**
     * The most typed bytes held for the read buffer when it is full (readers are behind): the
     * tty layer's flip buffers, limited as Linux limits them (TTYB_DEFAULT_MEM_LIMIT).
     */
    public static final int PENDING_LIMIT = 64 * 1024;

    /**
     * Bytes typed on the keyboard (one batch, as the tty layer hands them over). Returns how
     * many were taken: with {@link #PENDING_LIMIT} bytes waiting already for readers, the rest
     * is dropped, as a tty whose buffers are full drops input; a caller that must not lose
     * keys hands over no more than {@link #room()}.
     */
    public int receive(byte[] input) {
        int taken = Math.min(input.length, room());
        pending.write(input, 0, taken);
        drainPending();
        return taken;
    }

    /** How many bytes {@link #receive} takes now. */
    public int room() {
        return PENDING_LIMIT - pending.size();
    }

    /** Bytes typed and held for the read buffer (at most {@link #PENDING_LIMIT}). */
    public int pending() {
        return pending.size();
    }

    /** Takes what the read buffer has room for; the rest waits for readers (as the tty's flip buffer). */
    private void drainPending() {
        byte[] in = pending.toByteArray();
        int i = 0;
        while (i < in.length) {
            int room = BUFFER - (int) (readHead - readTail) - 1;
            boolean overflow = false;
            if (room <= 0) {
                // A canonical line with no end yet: let input through, overwriting the last
                // byte, so that erase characters and the line's end still work.
                overflow = icanon && canonHead == readTail;
                if (overflow && room < 0) {
                    readHead--;
                }
                room = overflow ? 1 : 0;
            }
            int n = Math.min(in.length - i, room);
            if (n == 0) {
                break;
            }
            batch(in, i, n);
            i += n;
        }
        pending.reset();
        pending.write(in, i, in.length - i);
    }

    private void batch(byte[] in, int from, int n) {
        if (raw) {
            for (int i = from; i < from + n; i++) {
                put(in[i] & 0xff);
            }
        } else {
            for (int i = from; i < from + n; i++) {
                int c = in[i] & 0xff;
                if (lnext) {
                    lnext = false;
                    if (t.is(ISTRIP)) {
                        c &= 0x7f;
                    }
                    ordinary(c);
                    continue;
                }
                if (t.is(ISTRIP)) {
                    c &= 0x7f;
                }
                if (special[c]) {
                    special(c);
                } else {
                    ordinary(c);
                }
            }
            flushEchoes();
        }
        if (!icanon) {
            commitHead = readHead;
        }
    }

    private void special(int c) {
        if (t.is(IXON) && (c == t.cc(VSTART) || c == t.cc(VSTOP))) {
            if (c == t.cc(VSTART)) {
                stopped = false;
                processEchoes();
            } else {
                stopped = true; // output (echo included) waits for START
            }
            return;
        }
        if (t.is(ISIG)) {
            if (c == t.cc(VINTR)) {
                signal(SIGINT, c);
                return;
            } else if (c == t.cc(VQUIT)) {
                signal(SIGQUIT, c);
                return;
            } else if (c == t.cc(VSUSP)) {
                signal(SIGTSTP, c);
                return;
            }
        }
        if (c == '\r') {
            if (t.is(IGNCR)) {
                return;
            }
            if (t.is(ICRNL)) {
                c = '\n';
            }
        } else if (c == '\n' && t.is(INLCR)) {
            c = '\r';
        }
        if (icanon && canonical(c)) {
            return;
        }
        if (t.is(ECHO)) {
            finishErasing();
            if (c == '\n') {
                echoRaw('\n');
            } else {
                if (canonHead == readHead) {
                    echoOp(OP_SET_CANON_COL);
                }
                echoChar(c);
            }
            commitEchoes();
        }
        put(c);
    }

    private boolean canonical(int c) {
        if (c == t.cc(VERASE) || c == t.cc(VKILL) || (c == t.cc(VWERASE) && t.is(IEXTEN))) {
            eraser(c);
            commitEchoes();
            return true;
        }
        if (c == t.cc(VLNEXT) && t.is(IEXTEN)) {
            lnext = true;
            if (t.is(ECHO)) {
                finishErasing();
                if (t.is(ECHOCTL)) {
                    echoRaw('^');
                    echoRaw('\b');
                    commitEchoes();
                }
            }
            return true;
        }
        if (c == t.cc(VREPRINT) && t.is(ECHO) && t.is(IEXTEN)) {
            finishErasing();
            echoChar(c);
            echoRaw('\n');
            for (long tail = canonHead; tail != readHead; tail++) {
                echoChar(readBuf[(int) (tail & MASK)] & 0xff);
            }
            commitEchoes();
            return true;
        }
        if (c == '\n') {
            if (t.is(ECHO) || t.is(ECHONL)) {
                echoRaw('\n');
                commitEchoes();
            }
            endLine(c);
            return true;
        }
        if (c == t.cc(VEOF)) {
            endLine(DISABLED);
            return true;
        }
        if (c == t.cc(VEOL) || (c == t.cc(VEOL2) && t.is(IEXTEN))) {
            if (t.is(ECHO)) {
                if (canonHead == readHead) {
                    echoOp(OP_SET_CANON_COL);
                }
                echoChar(c);
                commitEchoes();
            }
            endLine(c);
            return true;
        }
        return false;
    }

    private void endLine(int c) {
        readFlags[(int) (readHead & MASK)] = true;
        put(c);
        canonHead = readHead;
    }

    private void ordinary(int c) {
        if (t.is(ECHO)) {
            finishErasing();
            if (canonHead == readHead) {
                echoOp(OP_SET_CANON_COL);
            }
            echoChar(c);
            commitEchoes();
        }
        put(c);
    }

    private void put(int c) {
        readBuf[(int) (readHead & MASK)] = (byte) c;
        readHead++;
    }

    private void signal(int signal, int c) {
        signals.accept(signal);
        if (!t.is(NOFLSH)) {
            // The echo buffer and what the terminal has not taken yet are output, the read
            // buffer input: all are flushed.
            echoHead = echoTail = echoMark = echoCommit = 0;
            terminal.reset();
            readHead = canonHead = readTail = commitHead = 0;
            erasing = false;
            java.util.Arrays.fill(readFlags, false);
        }
        if (t.is(ECHO)) {
            echoChar(c);
            commitEchoes();
        } else {
            processEchoes();
        }
    }

    /** ERASE, WERASE or KILL on the line being edited. */
    private void eraser(int c) {
        if (readHead == canonHead) {
            return;
        }
        enum Kind { ERASE, WERASE, KILL }
        Kind kind;
        if (c == t.cc(VERASE)) {
            kind = Kind.ERASE;
        } else if (c == t.cc(VWERASE)) {
            kind = Kind.WERASE;
        } else {
            if (!t.is(ECHO)) {
                readHead = canonHead;
                return;
            }
            if (!t.is(ECHOK) || !t.is(ECHOKE) || !t.is(ECHOE)) {
                readHead = canonHead;
                finishErasing();
                echoChar(t.cc(VKILL));
                if (t.is(ECHOK)) {
                    echoRaw('\n');
                }
                return;
            }
            kind = Kind.KILL;
        }
        int seenAlnums = 0;
        while (readHead != canonHead) {
            long head = readHead;
            int ch;
            do { // one character, of several bytes in UTF-8
                head--;
                ch = readBuf[(int) (head & MASK)] & 0xff;
            } while (continuation(ch) && head != canonHead);
            if (continuation(ch)) {
                break; // never half a character
            }
            if (kind == Kind.WERASE) {
                if (alnum(ch) || ch == '_') {
                    seenAlnums++;
                } else if (seenAlnums > 0) {
                    break;
                }
            }
            int count = (int) (readHead - head);
            readHead = head;
            if (t.is(ECHO)) {
                if (t.is(ECHOPRT)) {
                    if (!erasing) {
                        echoRaw('\\');
                        erasing = true;
                    }
                    echoChar(ch);
                    while (--count > 0) {
                        head++;
                        echoRaw(readBuf[(int) (head & MASK)] & 0xff);
                        echoOp(OP_MOVE_BACK_COL);
                    }
                } else if (kind == Kind.ERASE && !t.is(ECHOE)) {
                    echoChar(t.cc(VERASE));
                } else if (ch == '\t') {
                    eraseTab();
                } else {
                    if (cntrl(ch) && t.is(ECHOCTL)) {
                        echoRaw('\b');
                        echoRaw(' ');
                        echoRaw('\b');
                    }
                    if (!cntrl(ch) || t.is(ECHOCTL)) {
                        echoRaw('\b');
                        echoRaw(' ');
                        echoRaw('\b');
                    }
                }
            }
            if (kind == Kind.ERASE) {
                break;
            }
        }
        if (readHead == canonHead && t.is(ECHO)) {
            finishErasing();
        }
    }

    /** Counts the columns since the line began or the previous tab, for the echo to go back over a tab. */
    private void eraseTab() {
        int columns = 0;
        boolean afterTab = false;
        for (long tail = readHead; tail != canonHead; ) {
            tail--;
            int ch = readBuf[(int) (tail & MASK)] & 0xff;
            if (ch == '\t') {
                afterTab = true;
                break;
            } else if (cntrl(ch)) {
                if (t.is(ECHOCTL)) {
                    columns += 2;
                }
            } else if (!continuation(ch)) {
                columns++;
            }
        }
        addEcho(OP_START);
        addEcho(OP_ERASE_TAB);
        addEcho((columns & 7) | (afterTab ? 0x80 : 0));
    }

    private void finishErasing() {
        if (erasing) {
            echoRaw('/');
            erasing = false;
        }
    }

    private boolean continuation(int c) {
        return t.is(IUTF8) && (c & 0xc0) == 0x80;
    }

    /** The kernel's iscntrl: only ASCII controls (its ctype has none above 127). */
    static boolean cntrl(int c) {
        return c < 0x20 || c == 0x7f;
    }

    /** The kernel's isalnum: ASCII letters and digits, and Latin-1's letters (0xc0-0xff but 0xd7 and 0xf7). */
    static boolean alnum(int c) {
        return c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z'
                || c >= 0xc0 && c != 0xd7 && c != 0xf7;
    }

    // Echo.

    private void addEcho(int b) {
        echoBuf[(int) (echoHead & MASK)] = (byte) b;
        echoHead++;
    }

    private void echoOp(int op) {
        addEcho(OP_START);
        addEcho(op);
    }

    private void echoRaw(int c) {
        if (c == OP_START) {
            addEcho(OP_START);
        }
        addEcho(c);
    }

    private void echoChar(int c) {
        if (c == OP_START) {
            addEcho(OP_START);
        } else if (t.is(ECHOCTL) && cntrl(c) && c != '\t') {
            addEcho(OP_START);
        }
        addEcho(c);
    }

    private void commitEchoes() {
        long head = echoHead;
        echoMark = head;
        long old = echoCommit - echoTail;
        long nr = head - echoTail;
        if (nr < ECHO_COMMIT_WATERMARK || nr % ECHO_BLOCK > old % ECHO_BLOCK) {
            return;
        }
        echoCommit = head;
        writeEchoes();
    }

    private void processEchoes() {
        if (echoMark == echoTail) {
            return;
        }
        echoCommit = echoMark;
        writeEchoes();
    }

    private void flushEchoes() {
        if ((!t.is(ECHO) && !t.is(ECHONL)) || echoCommit == echoHead) {
            return;
        }
        echoCommit = echoHead;
        writeEchoes();
    }

    private int echo(long i) {
        return echoBuf[(int) (i & MASK)] & 0xff;
    }

    private void writeEchoes() {
        long tail = echoTail;
        // A stopped terminal takes no output (its write room is 0), but the discard below still
        // runs, as in n_tty's __process_echoes: echo typed while stopped must not outgrow the ring.
        while (!stopped && tail != echoCommit) {
            int c = echo(tail);
            if (c != OP_START) {
                if (t.is(OPOST)) {
                    output(c);
                } else {
                    terminal.write(c);
                }
                tail++;
                continue;
            }
            if (tail + 1 == echoCommit) {
                break; // half an operation: not stored yet
            }
            int op = echo(tail + 1);
            if (op == OP_ERASE_TAB) {
                if (tail + 2 == echoCommit) {
                    break;
                }
                int columns = echo(tail + 2);
                if ((columns & 0x80) == 0) {
                    columns += canonColumn;
                }
                for (int back = 8 - (columns & 7); back > 0; back--) {
                    terminal.write('\b');
                    if (column > 0) {
                        column--;
                    }
                }
                tail += 3;
            } else if (op == OP_SET_CANON_COL) {
                canonColumn = column;
                tail += 2;
            } else if (op == OP_MOVE_BACK_COL) {
                if (column > 0) {
                    column--;
                }
                tail += 2;
            } else if (op == OP_START) {
                terminal.write(OP_START);
                column++;
                tail += 2;
            } else { // a control character, echoed as ^X
                terminal.write('^');
                terminal.write(op ^ 0100);
                column += 2;
                tail += 2;
            }
        }
        while (echoCommit > tail && echoCommit - tail >= ECHO_DISCARD_WATERMARK) {
            if (echo(tail) == OP_START) {
                tail += echo(tail + 1) == OP_ERASE_TAB ? 3 : 2;
            } else {
                tail++;
            }
        }
        echoTail = tail;
    }

    /** One byte through output processing (OPOST), keeping the column. */
    private void output(int c) {
        switch (c) {
            case '\n' -> {
                if (t.is(ONLRET)) {
                    column = 0;
                }
                if (t.is(ONLCR)) {
                    canonColumn = column = 0;
                    terminal.write('\r');
                    terminal.write('\n');
                    return;
                }
                canonColumn = column;
            }
            case '\r' -> {
                if (t.is(ONOCR) && column == 0) {
                    return;
                }
                if (t.is(OCRNL)) {
                    c = '\n';
                    if (t.is(ONLRET)) {
                        canonColumn = column = 0;
                    }
                } else {
                    canonColumn = column = 0;
                }
            }
            case '\t' -> column += 8 - (column & 7);
            case '\b' -> {
                if (column > 0) {
                    column--;
                }
            }
            default -> {
                if (!cntrl(c) && !continuation(c)) {
                    column++;
                }
            }
        }
        terminal.write(c);
    }

    /** What the line discipline wrote to the terminal (echo) since the last call. */
    public byte[] takeEcho() {
        byte[] out = terminal.toByteArray();
        terminal.reset();
        return out;
    }

    /** Output from the program to the terminal (its prompt, its output), processed as n_tty_write does. */
    public void write(byte[] bytes) {
        processEchoes();
        for (byte b : bytes) {
            if (t.is(OPOST)) {
                output(b & 0xff);
            } else {
                terminal.write(b);
            }
        }
    }

    // Reading.

    /** Whether a read would return at once (a line in canonical mode, a byte otherwise). */
    public boolean readable() {
        return icanon ? canonHead != readTail : commitHead != readTail;
    }

    /**
     * A non-blocking read of at most {@code max} bytes, as a program does it: null if it would
     * block, an empty array at end of file (EOF at the start of a line; and, in non-canonical
     * mode with MIN 0 TIME 0, when nothing is there), else what the read returns: in canonical
     * mode at most one line, its end included (EOF's is not).
     */
    public byte[] read(int max) {
        if (max <= 0) {
            throw new IllegalArgumentException("read of " + max + " bytes");
        }
        byte[] result;
        if (icanon) {
            if (canonHead == readTail) {
                return null;
            }
            int n = (int) Math.min(max, canonHead - readTail);
            long eol = -1;
            for (long i = readTail; i < readTail + n; i++) {
                if (readFlags[(int) (i & MASK)]) {
                    eol = i;
                    break;
                }
            }
            int consumed;
            if (eol >= 0) {
                int before = (int) (eol - readTail);
                consumed = before + 1;
                n = readBuf[(int) (eol & MASK)] == DISABLED ? before : consumed;
                readFlags[(int) (eol & MASK)] = false;
            } else {
                consumed = n;
            }
            result = copy(readTail, n);
            readTail += consumed;
            if (eol < 0 && n == max) {
                skipEof(); // the reader's buffer is full: an EOF right after is eaten
            }
        } else {
            long available = commitHead - readTail;
            if (available == 0) {
                // MIN 0 TIME 0 is a poll: with nothing there the read returns 0 bytes, not EAGAIN.
                return t.cc(VMIN) == 0 && t.cc(VTIME) == 0 ? new byte[0] : null;
            }
            int n = (int) Math.min(max, available);
            result = copy(readTail, n);
            readTail += n;
        }
        drainPending();
        return result;
    }

    /**
     * A blocking read, as n_tty_read does it, for a reader that waits on {@code monitor} (the
     * caller holds it; whoever calls {@link #receive} notifies it). Canonical: the next line
     * (empty at end of file). Non-canonical, by MIN and TIME (in tenths of a second): MIN 0
     * TIME 0 returns what is there; MIN 0 TIME t waits up to t for the first byte; MIN m TIME 0
     * waits for m bytes; MIN m TIME t waits for a first byte, then returns at m bytes or when
     * t passes without another.
     */
    public byte[] read(int max, Object monitor) throws InterruptedException {
        if (icanon) {
            byte[] line;
            while ((line = read(max)) == null) {
                monitor.wait();
            }
            return line;
        }
        int min = t.cc(VMIN);
        long time = t.cc(VTIME) * 100_000_000L;
        if (min == 0 && time == 0) {
            return read(max);
        }
        int minimum = min == 0 ? 1 : Math.min(min, max);
        long deadline = min == 0 ? System.nanoTime() + time : Long.MAX_VALUE;
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        while (true) {
            byte[] r = read(max - got.size());
            if (r != null && r.length > 0) {
                got.writeBytes(r);
                if (time > 0) {
                    deadline = System.nanoTime() + time; // the inter-byte timer starts again
                }
            }
            if (got.size() >= minimum) {
                return got.toByteArray();
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return got.toByteArray();
            }
            if (deadline == Long.MAX_VALUE) {
                monitor.wait();
            } else {
                java.util.concurrent.TimeUnit.NANOSECONDS.timedWait(monitor, left);
            }
        }
    }

    private void skipEof() {
        if (readTail == canonHead) {
            return;
        }
        int at = (int) (readTail & MASK);
        if (readFlags[at] && readBuf[at] == DISABLED) {
            readFlags[at] = false;
            readTail++;
        }
    }

    private byte[] copy(long from, int n) {
        byte[] out = new byte[n];
        for (int i = 0; i < n; i++) {
            out[i] = readBuf[(int) ((from + i) & MASK)];
        }
        return out;
    }
}
