package org.smpcluster.vfs.cache;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * The shared page cache: the global bridge {@value #BRIDGE}, written by the root's server and
 * read (and, for pages a vnode holds a write token on, written) by every vnode's client.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  magic 'VFSC'  |  version      |  page size    |  frames       |  header, 64 bytes:
 * |  inodes        |               |  ready (epoch, written last)  |  ready is the server's
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+  epoch, never 0
 * |  inode table: INODES x 32 bytes                               |
 * |    id (0 = free) | size | mtime (epoch ms) | generation       |
 * +---------------------------------------------------------------+
 * |  frame table: FRAMES x 32 bytes                               |
 * |    inode id | page index | token | flags                      |
 * +---------------------------------------------------------------+
 * |  (pad to a page)                                              |
 * |  page frames: FRAMES x PAGE bytes                             |
 * +---------------------------------------------------------------+
 * </pre>
 *
 * <p>A frame's token word says who may touch its page: bits 0-15 are the vnodes that may read
 * it, bits 16-31 the (at most one) vnode that may write it. Only the server changes a token, and
 * it clears bits <em>before</em> it drains the vnodes that held them, so a client that sees its
 * bit set under its own access lock may use the page until it lets the drain through.
 */
public final class CacheLayout {

    public static final String BRIDGE = "vfs.cache";
    public static final int MAGIC = 0x56465343;
    public static final int VERSION = 1;
    public static final int PAGE = 4096;
    public static final int PAGE_SHIFT = 12;

    static final long OFF_MAGIC = 0;
    static final long OFF_VERSION = 4;
    static final long OFF_PAGE = 8;
    static final long OFF_FRAMES = 12;
    static final long OFF_INODES = 16;
    static final long OFF_READY = 24;
    static final long HEADER = 64;

    static final long INODE_SIZE = 32;
    static final long I_ID = 0;
    static final long I_SIZE = 8;
    static final long I_MTIME = 16;
    static final long I_GENERATION = 24;

    static final long FRAME_SIZE = 32;
    static final long F_INODE = 0;
    static final long F_PAGE = 8;
    static final long F_TOKEN = 16;
    static final long F_FLAGS = 24;

    /** Frame flag: the page is newer than the storage device. */
    public static final long DIRTY = 1;

    public static final int WRITER_SHIFT = 16;

    private static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();
    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();

    private final MemorySegment s;
    private final int frames;
    private final int inodes;
    private final long inodeTable;
    private final long frameTable;
    private final long data;

    private CacheLayout(MemorySegment s, int frames, int inodes) {
        this.s = s;
        this.frames = frames;
        this.inodes = inodes;
        this.inodeTable = HEADER;
        this.frameTable = inodeTable + inodes * INODE_SIZE;
        this.data = align(frameTable + frames * FRAME_SIZE);
        if (data + (long) frames * PAGE > s.byteSize()) {
            throw new IllegalArgumentException("page cache too small: frames=" + frames + " inodes=" + inodes
                    + " needs=" + (data + (long) frames * PAGE) + " bridge=" + s.byteSize());
        }
    }

    /** The bridge size for {@code frames} frames and {@code inodes} inode slots. */
    public static long size(int frames, int inodes) {
        return align(HEADER + inodes * INODE_SIZE + frames * FRAME_SIZE) + (long) frames * PAGE;
    }

    /** Root: lays the cache out in a fresh (or reused) bridge, every frame free, and publishes {@code epoch}. */
    public static CacheLayout format(MemorySegment s, int frames, int inodes, long epoch) {
        if (epoch == 0) {
            throw new IllegalArgumentException("epoch=0");
        }
        LONG.setRelease(s, OFF_READY, 0L);
        CacheLayout c = new CacheLayout(s, frames, inodes);
        s.asSlice(HEADER, c.data - HEADER).fill((byte) 0);
        INT.set(s, OFF_MAGIC, MAGIC);
        INT.set(s, OFF_VERSION, VERSION);
        INT.set(s, OFF_PAGE, PAGE);
        INT.set(s, OFF_FRAMES, frames);
        INT.set(s, OFF_INODES, inodes);
        LONG.setRelease(s, OFF_READY, epoch);
        return c;
    }

    /**
     * A client's view of a cache the server formatted, or null while it is not ready.
     *
     * @throws IllegalStateException for a cache of another version or page size
     */
    public static CacheLayout attach(MemorySegment s) {
        if ((long) LONG.getAcquire(s, OFF_READY) == 0) {
            return null;
        }
        int magic = (int) INT.get(s, OFF_MAGIC);
        int version = (int) INT.get(s, OFF_VERSION);
        int page = (int) INT.get(s, OFF_PAGE);
        if (magic != MAGIC || version != VERSION || page != PAGE) {
            throw new IllegalStateException("not a page cache this vfs understands: magic=0x" + Integer.toHexString(magic)
                    + " version=" + version + " page=" + page);
        }
        return new CacheLayout(s, (int) INT.get(s, OFF_FRAMES), (int) INT.get(s, OFF_INODES));
    }

    static long align(long n) {
        return (n + PAGE - 1) & ~(long) (PAGE - 1);
    }

    /** Server: says it has stopped (clients' waits end at once). */
    public void closed() {
        LONG.setRelease(s, OFF_READY, 0L);
    }

    public long epoch() {
        return (long) LONG.getAcquire(s, OFF_READY);
    }

    public int frames() {
        return frames;
    }

    public int inodes() {
        return inodes;
    }

    public MemorySegment segment() {
        return s;
    }

    // ---- inodes

    private long inode(int slot) {
        if (slot < 0 || slot >= inodes) {
            throw new IndexOutOfBoundsException("inode slot=" + slot + " inodes=" + inodes);
        }
        return inodeTable + slot * INODE_SIZE;
    }

    public long inodeId(int slot) {
        return (long) LONG.getAcquire(s, inode(slot) + I_ID);
    }

    public void inodeId(int slot, long id) {
        LONG.setRelease(s, inode(slot) + I_ID, id);
    }

    public long size(int slot) {
        return (long) LONG.getAcquire(s, inode(slot) + I_SIZE);
    }

    public void size(int slot, long size) {
        LONG.setRelease(s, inode(slot) + I_SIZE, size);
    }

    public long mtime(int slot) {
        return (long) LONG.getAcquire(s, inode(slot) + I_MTIME);
    }

    /** Raises the inode's mtime to {@code millis} (writers on several vnodes race to the latest). */
    public void touch(int slot, long millis) {
        long at = inode(slot) + I_MTIME;
        for (long now = (long) LONG.getAcquire(s, at); now < millis; now = (long) LONG.getAcquire(s, at)) {
            if (LONG.compareAndSet(s, at, now, millis)) {
                return;
            }
        }
    }

    public void mtime(int slot, long millis) {
        LONG.setRelease(s, inode(slot) + I_MTIME, millis);
    }

    // ---- frames

    private long frame(int f) {
        if (f < 0 || f >= frames) {
            throw new IndexOutOfBoundsException("frame=" + f + " frames=" + frames);
        }
        return frameTable + f * FRAME_SIZE;
    }

    public long frameInode(int f) {
        return (long) LONG.getAcquire(s, frame(f) + F_INODE);
    }

    public long framePage(int f) {
        return (long) LONG.getAcquire(s, frame(f) + F_PAGE);
    }

    /** Server: gives frame {@code f} to page {@code page} of {@code inode} (0 frees it); no token. */
    public void assign(int f, long inode, long page) {
        LONG.setRelease(s, frame(f) + F_TOKEN, 0L);
        LONG.setRelease(s, frame(f) + F_FLAGS, 0L);
        LONG.setRelease(s, frame(f) + F_PAGE, page);
        LONG.setRelease(s, frame(f) + F_INODE, inode);
    }

    public long token(int f) {
        return (long) LONG.getAcquire(s, frame(f) + F_TOKEN);
    }

    public void token(int f, long token) {
        LONG.setVolatile(s, frame(f) + F_TOKEN, token);
    }

    public long flags(int f) {
        return (long) LONG.getAcquire(s, frame(f) + F_FLAGS);
    }

    public void flags(int f, long flags) {
        LONG.setRelease(s, frame(f) + F_FLAGS, flags);
    }

    public static long readBit(int vnode) {
        return 1L << vnode;
    }

    public static long writeBit(int vnode) {
        return 1L << (WRITER_SHIFT + vnode);
    }

    public static long readers(long token) {
        return token & 0xFFFF;
    }

    public static long writers(long token) {
        return (token >>> WRITER_SHIFT) & 0xFFFF;
    }

    /** Whether {@code vnode} may read (a write token allows reading too) frame {@code f} as page {@code page} of {@code inode}. */
    public boolean mayRead(int f, int vnode, long inode, long page) {
        long t = token(f);
        return (t & (readBit(vnode) | writeBit(vnode))) != 0 && frameInode(f) == inode && framePage(f) == page;
    }

    public boolean mayWrite(int f, int vnode, long inode, long page) {
        return (token(f) & writeBit(vnode)) != 0 && frameInode(f) == inode && framePage(f) == page;
    }

    /** The bytes of frame {@code f}'s page, at their place in the bridge. */
    public MemorySegment page(int f) {
        frame(f);
        return s.asSlice(data + (long) f * PAGE, PAGE);
    }

    public long pageOffset(int f) {
        frame(f);
        return data + (long) f * PAGE;
    }
}
