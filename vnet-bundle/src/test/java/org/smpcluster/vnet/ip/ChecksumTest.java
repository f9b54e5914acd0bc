package org.smpcluster.vnet.ip;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HexFormat;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

/** The Internet checksum against RFC 1071's worked example and a plain 16-bit reference. */
class ChecksumTest {

    @Test
    void shouldMatchTheRfc1071Example() {
        // RFC 1071 section 3: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2; the checksum is its complement.
        byte[] data = HexFormat.of().parseHex("0001f203f4f5f6f7");
        assertEquals(~0xddf2 & 0xFFFF, IpStack.checksum(data, 0, data.length, 0));
    }

    @Test
    void shouldMatchAWordByWordSumForEveryLengthAndOffset() {
        SplittableRandom random = new SplittableRandom(7);
        byte[] data = new byte[1600];
        random.nextBytes(data);
        for (int offset = 0; offset < 5; offset++) {
            for (int length = 0; length < 1500; length += 1 + random.nextInt(37)) {
                long initial = random.nextInt(1 << 20);
                assertEquals(reference(data, offset, length, initial), IpStack.checksum(data, offset, length, initial),
                        "offset " + offset + ", length " + length);
            }
        }
    }

    @Test
    void shouldBeZeroOverDataThatCarriesItsOwnChecksum() {
        byte[] header = HexFormat.of().parseHex("450000730000400040110000c0a80001c0a800c7");
        int sum = IpStack.checksum(header, 0, header.length, 0);
        header[10] = (byte) (sum >>> 8);
        header[11] = (byte) sum;
        assertEquals(0xb861, sum, "the well-known example header's checksum");
        assertEquals(0, IpStack.checksum(header, 0, header.length, 0));
    }

    private static int reference(byte[] data, int offset, int length, long initial) {
        long sum = initial;
        for (int i = offset; i < offset + length; i += 2) {
            int hi = data[i] & 0xFF;
            int lo = i + 1 < offset + length ? data[i + 1] & 0xFF : 0;
            sum += hi << 8 | lo;
        }
        while (sum >>> 16 != 0) {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return (int) ~sum & 0xFFFF;
    }
}
