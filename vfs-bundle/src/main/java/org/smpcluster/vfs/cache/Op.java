package org.smpcluster.vfs.cache;

/** The requests a client sends the server. Bodies are little-endian; strings are a short length and UTF-8. */
public final class Op {

    /** A vnode's client starts: forget what its previous life held. */
    public static final int HELLO = 1;
    /** path, flags, mode → id, slot, size, mtime, type */
    public static final int OPEN = 2;
    /** id → nothing */
    public static final int CLOSE = 3;
    /** id, first page, count, flags (WRITE/APPEND), new size or -1, append length → offset, size, count x frame */
    public static final int PAGES = 4;
    /** id, size → nothing */
    public static final int SETSIZE = 5;
    /** id → nothing, once the data is on the storage device */
    public static final int FSYNC = 6;
    /** path → type, size, mtime, atime, ctime, mode, inode */
    public static final int STAT = 7;
    /** path, cookie → next cookie (-1 at the end), count x (type, name) */
    public static final int READDIR = 8;
    /** path, mode */
    public static final int MKDIR = 9;
    /** path: a file or an empty directory */
    public static final int REMOVE = 10;
    /** from, to, flags (REPLACE) */
    public static final int RENAME = 11;
    /** → cache counters */
    public static final int CACHE = 12;
    /** → total, free, usable bytes of the storage device, files */
    public static final int STATFS = 13;
    /** id, first page, count: write back those pages (msync) */
    public static final int SYNCPAGES = 14;
    /** path, mtime ms */
    public static final int UTIMES = 15;

    /** A vnode's client stops: forget its tokens and open files. */
    public static final int BYE = 16;

    // OPEN flags
    public static final int O_WRITE = 1;
    public static final int O_CREATE = 2;
    public static final int O_EXCL = 4;
    public static final int O_TRUNC = 8;

    // PAGES flags
    public static final int P_WRITE = 1;
    public static final int P_APPEND = 2;

    // RENAME flags
    public static final int R_REPLACE = 1;

    // types
    public static final int T_FILE = 1;
    public static final int T_DIR = 2;
    public static final int T_OTHER = 3;

    private Op() {
    }

    public static String name(int op) {
        return switch (op) {
            case HELLO -> "HELLO";
            case OPEN -> "OPEN";
            case CLOSE -> "CLOSE";
            case PAGES -> "PAGES";
            case SETSIZE -> "SETSIZE";
            case FSYNC -> "FSYNC";
            case STAT -> "STAT";
            case READDIR -> "READDIR";
            case MKDIR -> "MKDIR";
            case REMOVE -> "REMOVE";
            case RENAME -> "RENAME";
            case CACHE -> "CACHE";
            case STATFS -> "STATFS";
            case SYNCPAGES -> "SYNCPAGES";
            case UTIMES -> "UTIMES";
            case BYE -> "BYE";
            default -> "op" + op;
        };
    }
}
