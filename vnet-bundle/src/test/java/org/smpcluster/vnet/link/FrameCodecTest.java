package org.smpcluster.vnet.link;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HexFormat;

import org.junit.jupiter.api.Test;
import org.smpcluster.api.vnet.EthernetFrame;
import org.smpcluster.api.vnet.MacAddress;

class FrameCodecTest {

    private static final MacAddress A = MacAddress.of(0, 1);
    private static final MacAddress B = MacAddress.of(0, 2);

    @Test
    void shouldPadShortPayloadsToTheMinimumFrame() {
        byte[] wire = FrameCodec.encode(new EthernetFrame(B, A, 0x0800, new byte[] {1, 2, 3}));

        assertEquals(64, wire.length);
        assertEquals("02534d000002" + "02534d000001" + "0800" + "010203", HexFormat.of().formatHex(wire, 0, 17));
        assertTrue(Arrays.stream(new int[] {17, 40, 59}).allMatch(i -> wire[i] == 0), "zero padding");
    }

    @Test
    void shouldCarryTheIeeeCrcLowByteFirst() {
        // Any frame with its FCS appended, run through CRC-32 again, leaves the 802.3 residue
        // 0x2144df1c: the check receivers (and capture tools) make.
        byte[] wire = FrameCodec.encode(new EthernetFrame(MacAddress.BROADCAST, A, 0x0806, new byte[28]));
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(wire);
        assertEquals(0x2144DF1CL, crc.getValue());
    }

    @Test
    void shouldRoundTripAFullSizeFrame() {
        byte[] payload = new byte[EthernetFrame.MAX_PAYLOAD];
        Arrays.fill(payload, (byte) 0x5A);
        byte[] wire = FrameCodec.encode(new EthernetFrame(B, A, 0x88B5, payload));

        FrameCodec.Decoded d = FrameCodec.decode(wire, 0, wire.length);

        assertEquals(1518, wire.length);
        assertTrue(d.ok());
        assertEquals(B, d.frame().destination());
        assertEquals(A, d.frame().source());
        assertEquals(0x88B5, d.frame().etherType());
        assertArrayEquals(payload, d.frame().payload());
    }

    @Test
    void shouldRefuseRuntsOversizeFramesAndBadFcs() {
        byte[] wire = FrameCodec.encode(new EthernetFrame(B, A, 0x0800, new byte[100]));
        assertEquals(FrameCodec.Defect.RUNT, FrameCodec.decode(wire, 0, 63).defect());
        assertEquals(FrameCodec.Defect.OVERSIZE, FrameCodec.decode(new byte[1519], 0, 1519).defect());
        wire[20] ^= 1; // one bit flipped on the wire
        assertEquals(FrameCodec.Defect.BAD_FCS, FrameCodec.decode(wire, 0, wire.length).defect());
    }

    @Test
    void shouldRefuseFramesThatAreNotEthernetTwo() {
        assertThrows(IllegalArgumentException.class, () -> new EthernetFrame(B, A, 0x05DC, new byte[0]));
        assertThrows(IllegalArgumentException.class, () -> new EthernetFrame(B, A, 0x0800, new byte[1501]));
    }

    @Test
    void shouldNameMacAddressesStablyAndKnowGroupAddresses() {
        assertEquals("02:53:4d:03:00:07", MacAddress.of(3, 7).toString());
        assertEquals(MacAddress.of(3, 7), MacAddress.parse("02:53:4D:03:00:07"));
        assertTrue(MacAddress.BROADCAST.isBroadcast());
        assertTrue(MacAddress.parse("01:00:5e:00:00:01").isMulticast());
        assertFalse(A.isMulticast());
        assertThrows(IllegalArgumentException.class, () -> MacAddress.parse("02:53:4d:03:00"));
    }
}
