package org.smpcluster.vnet.nic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.EOFException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.smpcluster.api.vnet.Connection;
import org.smpcluster.api.vnet.TransportListener;

/**
 * 100,000 transport messages from one vnode process to the root, none lost, duplicated or
 * reordered, while a third vnode process floods the same wire with broadcasts.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class TransportMultiProcessTest extends MultiProcessFixture {

    @Test
    void shouldCarryAHundredThousandMessagesInOrderWhileAThirdVnodeContends() throws Exception {
        int count = 100_000;
        TransportListener listener = vnet.transport().listen(7100);
        Child streamer = start(1, 1, "stream", Integer.toString(count), "7100");
        streamer.expect("attached");
        streamer.say("go");
        Connection c = listener.accept(DEADLINE);
        assertNotNull(c, "the streamer connected");
        streamer.expect("connected");
        // the flood starts once the connection is up: ARP and the handshake are not what is under test
        Child flooder = start(0, 2, "flood");
        flooder.expect("attached");
        flooder.expect("flooding");
        streamer.say("stream");
        long start = System.nanoTime();
        for (int i = 0; i < count; i++) {
            byte[] m = c.receive(DEADLINE);
            assertNotNull(m, "message " + i + " within " + DEADLINE + "; " + c.stats());
            assertEquals(i, ByteBuffer.wrap(m).getInt(), "message " + i + " in order");
        }
        long took = System.nanoTime() - start;
        String done = streamer.expect("streamed");
        assertThrows(EOFException.class, () -> c.receive(DEADLINE), "then the end of the stream");
        var wire = nic.stats();
        System.out.printf("TransportMultiProcessTest: %d messages in %d ms with a flooding third vnode;"
                + " receiver %s; sender: %s; root NIC: %d frames in, %d overruns, %d collisions%n", count,
                took / 1_000_000, c.stats(), done, wire.rxPackets(), wire.rxOverruns(), wire.collisions());
        assertTrue(done.contains("flushed true"), done);
        assertEquals(count, c.stats().messagesReceived());
        c.close();
        listener.close();
    }
}
