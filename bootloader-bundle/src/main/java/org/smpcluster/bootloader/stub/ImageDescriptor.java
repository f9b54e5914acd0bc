package org.smpcluster.bootloader.stub;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.charset.StandardCharsets;

/**
 * A kernel image as the bootloader lays it into a vnode's memory region (steps 3 and 4 of the
 * paper's KMB): a header, the boot parameters, then the image bytes (the exported executable
 * jar). The bootloader writes the state last, with release: a stub that reads
 * {@link #STATE_IMAGE} (acquire) sees a whole image. Plain JDK code: the vnode's boot stub
 * uses it before any OSGi class exists.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                 Magic "SMPIMAGE" (8 bytes)                    |   0
 *  +---------------------------------------------------------------+
 *  |        State: 0 empty, 1 being copied, 2 image (written last) |   8
 *  +---------------------------------------------------------------+
 *  |                     Format version                            |  12
 *  +---------------------------------------------------------------+
 *  |            Boot parameters length, bytes (8 bytes)            |  16
 *  +---------------------------------------------------------------+
 *  |                 Image length, bytes (8 bytes)                 |  24
 *  +---------------------------------------------------------------+
 *  |            Image SHA-256, hex, ASCII (64 bytes)               |  32
 *  +---------------------------------------------------------------+
 *  |          Image CRC-32, checked by the stub (8 bytes)          |  96
 *  +---------------------------------------------------------------+
 *  |                     (reserved to 4096)                        | 104
 *  +---------------------------------------------------------------+
 *  |      Boot parameters: UTF-8 "key=value" lines                 | 4096
 *  +---------------------------------------------------------------+
 *  |      Image bytes, at the next 4096 boundary                   |
 *  +---------------------------------------------------------------+
 * </pre>
 */
public final class ImageDescriptor {

    public static final long MAGIC = 0x4547414D49504D53L; // "SMPIMAGE", little-endian
    public static final int VERSION = 1;
    public static final int STATE_EMPTY = 0;
    public static final int STATE_COPYING = 1;
    public static final int STATE_IMAGE = 2;

    public static final int MAGIC_OFFSET = 0;
    public static final int STATE_OFFSET = 8;
    public static final int VERSION_OFFSET = 12;
    public static final int PARAMS_LENGTH_OFFSET = 16;
    public static final int IMAGE_LENGTH_OFFSET = 24;
    public static final int DIGEST_OFFSET = 32;
    public static final int DIGEST_LENGTH = 64;
    public static final int CRC_OFFSET = 96;
    public static final int PARAMS_OFFSET = 4096;

    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();

    private ImageDescriptor() {
    }

    /** Where the image bytes start for parameters of {@code paramsLength} bytes. */
    public static long imageOffset(long paramsLength) {
        return (PARAMS_OFFSET + paramsLength + 4095) / 4096 * 4096;
    }

    /** The region size needed for an image and its parameters. */
    public static long required(long paramsLength, long imageLength) {
        return imageOffset(paramsLength) + imageLength;
    }

    /** Steps 3 and 4: copies the parameters and the image in, then marks the region an image. */
    public static void write(MemorySegment region, String params, byte[] image, String digest) {
        byte[] p = params.getBytes(StandardCharsets.UTF_8);
        if (required(p.length, image.length) > region.byteSize()) {
            throw new IllegalArgumentException("the image (" + image.length + " bytes) and its parameters do not fit "
                    + "the vnode's memory region of " + region.byteSize() + " bytes");
        }
        INT.setVolatile(region, (long) STATE_OFFSET, STATE_COPYING);
        region.set(ValueLayout.JAVA_LONG, MAGIC_OFFSET, MAGIC);
        region.set(ValueLayout.JAVA_INT, VERSION_OFFSET, VERSION);
        region.set(ValueLayout.JAVA_LONG, PARAMS_LENGTH_OFFSET, p.length);
        region.set(ValueLayout.JAVA_LONG, IMAGE_LENGTH_OFFSET, image.length);
        MemorySegment.copy(digest.getBytes(StandardCharsets.US_ASCII), 0, region, ValueLayout.JAVA_BYTE,
                DIGEST_OFFSET, DIGEST_LENGTH);
        region.set(ValueLayout.JAVA_LONG, CRC_OFFSET, crc(image));
        MemorySegment.copy(p, 0, region, ValueLayout.JAVA_BYTE, PARAMS_OFFSET, p.length);
        MemorySegment.copy(image, 0, region, ValueLayout.JAVA_BYTE, imageOffset(p.length), image.length);
    }

    /** Step 4: marks the region as holding a whole image. */
    public static void markImage(MemorySegment region) {
        INT.setRelease(region, (long) STATE_OFFSET, STATE_IMAGE);
    }

    /** Null if the region holds a whole image of this format; otherwise what is wrong. */
    public static String check(MemorySegment region) {
        if (region.get(ValueLayout.JAVA_LONG, MAGIC_OFFSET) != MAGIC) {
            return "no kernel image in the region (bad magic)";
        }
        int state = (int) INT.getAcquire(region, (long) STATE_OFFSET);
        if (state != STATE_IMAGE) {
            return "the region is not marked as an image (state " + state + ")";
        }
        int version = region.get(ValueLayout.JAVA_INT, VERSION_OFFSET);
        if (version != VERSION) {
            return "image format " + version + ", this stub reads " + VERSION;
        }
        return null;
    }

    public static String params(MemorySegment region) {
        long length = region.get(ValueLayout.JAVA_LONG, PARAMS_LENGTH_OFFSET);
        return new String(region.asSlice(PARAMS_OFFSET, length).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
    }

    public static byte[] image(MemorySegment region) {
        long params = region.get(ValueLayout.JAVA_LONG, PARAMS_LENGTH_OFFSET);
        long length = region.get(ValueLayout.JAVA_LONG, IMAGE_LENGTH_OFFSET);
        return region.asSlice(imageOffset(params), length).toArray(ValueLayout.JAVA_BYTE);
    }

    /**
     * The stub's integrity check. CRC-32 rather than the SHA-256 the listing shows: the JDK computes it
     * natively, tens of times faster in a JVM that has just started, and it guards against a
     * torn or stray write, which is what can happen to a region.
     */
    public static long crc(byte[] image) {
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(image);
        return crc.getValue();
    }

    public static long crc(MemorySegment region) {
        return region.get(ValueLayout.JAVA_LONG, CRC_OFFSET);
    }

    public static String digest(MemorySegment region) {
        return new String(region.asSlice(DIGEST_OFFSET, DIGEST_LENGTH).toArray(ValueLayout.JAVA_BYTE),
                StandardCharsets.US_ASCII);
    }
}
