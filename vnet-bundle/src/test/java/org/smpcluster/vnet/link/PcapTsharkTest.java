package org.smpcluster.vnet.link;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.smpcluster.api.vnet.EthernetFrame;
import org.smpcluster.api.vnet.MacAddress;

/** A capture of a wire, as a pcap file: its bytes, and what tshark (when installed) makes of it. */
public class PcapTsharkTest {

    @TempDir
    Path dir;

    Path capture() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            Wire wire = Wire.attach("cap", arena.allocate(WireLayout.size(64), 4096), WireParams.DEFAULT.withSlots(64),
                    0x0A000000, 24);
            Station a = wire.station(1, MacAddress.of(1, 1), 16, (v, x) -> { });
            wire.station(2, MacAddress.of(1, 2), 16, (v, x) -> { });
            Wire.Tap tap = wire.tap();
            List<byte[]> frames = List.of(
                    FrameCodec.encode(new EthernetFrame(MacAddress.of(1, 2), a.mac(), 0x88B5, "hello".getBytes())),
                    FrameCodec.encode(new EthernetFrame(MacAddress.BROADCAST, a.mac(), 0x88B5, new byte[1500])),
                    FrameCodec.encode(new EthernetFrame(MacAddress.parse("01:00:5e:00:00:01"), a.mac(), 0x88B5,
                            "group".getBytes(StandardCharsets.US_ASCII))));
            for (byte[] f : frames) {
                a.transmit(f, f.length);
            }
            Path file = dir.resolve("wire.pcap");
            try (Pcap pcap = new Pcap(Files.newOutputStream(file))) {
                for (Wire.RawFrame f; (f = tap.next()) != null; ) {
                    pcap.frame(f.epochMicros(), f.bytes());
                }
            }
            return file;
        }
    }

    @Test
    void shouldWriteTheLibpcapFormatWithoutTheFcs() throws IOException {
        byte[] bytes = Files.readAllBytes(capture());
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(0xA1B2C3D4, b.getInt());
        assertEquals(2, b.getShort());
        assertEquals(4, b.getShort());
        b.position(20);
        assertEquals(Pcap.LINKTYPE_ETHERNET, b.getInt());
        long now = System.currentTimeMillis() / 1000;
        int[] lengths = new int[3];
        for (int i = 0; i < 3; i++) {
            int sec = b.getInt();
            assertTrue(Math.abs(sec - now) < 60, "timestamp " + sec + " is now");
            assertTrue(b.getInt() < 1_000_000);
            lengths[i] = b.getInt();
            assertEquals(lengths[i], b.getInt());
            b.position(b.position() + lengths[i]);
        }
        assertEquals(60, lengths[0], "64 on the wire, less the FCS");
        assertEquals(1514, lengths[1]);
        assertEquals(bytes.length, b.position());
    }

    @Test
    void shouldBeDecodedByTsharkWithNoMalformedFrame() throws Exception {
        assumeTrue(tshark(), "tshark is not installed (.ci/run installs it)");
        Path file = capture();
        String fields = run("tshark", "-r", file.toString(), "-T", "fields", "-e", "frame.len", "-e", "eth.dst",
                "-e", "eth.type");
        assertEquals("""
                60\t02:53:4d:01:00:02\t0x88b5
                1514\tff:ff:ff:ff:ff:ff\t0x88b5
                60\t01:00:5e:00:00:01\t0x88b5""", fields.strip());
        assertEquals("", run("tshark", "-r", file.toString(), "-Y", "_ws.malformed || _ws.expert.severity >= error")
                .strip(), "malformed frames");
    }

    public static boolean tshark() {
        try {
            return new ProcessBuilder("tshark", "--version").redirectErrorStream(true).start().waitFor() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    public static String run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        p.getInputStream().transferTo(out);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "tshark did not finish");
        assertEquals(0, p.exitValue(), String.join(" ", command) + ": " + out);
        return out.toString(StandardCharsets.UTF_8);
    }
}
