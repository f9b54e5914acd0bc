package org.smpcluster.nanokernel.dsp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.smpcluster.api.nanokernel.Nanokernel;
import org.smpcluster.api.nanokernel.Portals;
import org.smpcluster.nanokernel.Kernel;
import org.smpcluster.nanokernel.layout.ControlArea;
import org.smpcluster.nanokernel.layout.DspRingDescriptor;
import org.smpcluster.nanokernel.layout.Shm;

/** The root's DSP server against well-formed and malformed traffic from a vnode's ring. */
class DspTest {

    private static final int VNODE = 5;

    @TempDir
    Path dir;

    private Kernel root;
    private Ring requests;
    private Ring responses;

    @BeforeEach
    void boot() {
        root = Kernel.boot(Kernel.Config.root(dir, "dsp", 8L << 20));
        requests = new Ring(root.physmem().segment(), ControlArea.dspRequests(VNODE));
        responses = new Ring(root.physmem().segment(), ControlArea.dspResponses(VNODE));
    }

    @AfterEach
    void shutDown() {
        root.close();
    }

    @Test
    void shouldAnswerARequestWithItsIdAndPayload() {
        Message answer = ask(new Message(Message.PING, 0, 7, "hello".getBytes(StandardCharsets.UTF_8)));

        assertEquals(Message.PING | Message.RESPONSE, answer.type());
        assertEquals(Message.OK, answer.status());
        assertEquals(7, answer.requestId());
        assertEquals("hello", answer.text());
        assertEquals(1, root.dspServer().handled());
    }

    @Test
    void shouldRejectAndCountMalformedMessagesAndKeepServing() {
        // A message of a version the root does not speak.
        assertTrue(requests.offer(new Message(Message.PING, 0, 11, new byte[0])));
        requests.segment().set(ValueLayout.JAVA_BYTE, DspRingDescriptor.slot(0) + DspRingDescriptor.VERSION_OFFSET,
                (byte) 9);
        Message badVersion = ask(null);
        assertEquals(Message.EPROTO, badVersion.status());
        assertEquals(11, badVersion.requestId());
        assertTrue(badVersion.text().contains("version 9"), badVersion.text());

        // A length beyond the slot.
        assertTrue(requests.offer(new Message(Message.PING, 0, 12, new byte[0])));
        requests.segment().set(ValueLayout.JAVA_INT,
                DspRingDescriptor.slot(1) + DspRingDescriptor.PAYLOAD_LENGTH_OFFSET, 100_000);
        assertEquals(Message.EPROTO, ask(null).status());

        // A type nobody knows, a response sent as a request, a truncated bridge request.
        assertEquals(Message.EPROTO, ask(new Message(99, 0, 13, new byte[0])).status());
        assertEquals(Message.EPROTO, ask(new Message(Message.PING | Message.RESPONSE, 0, 14, new byte[0])).status());
        assertEquals(Message.EPROTO, ask(new Message(Message.BRIDGE_OPEN, 0, 15, new byte[3])).status());

        assertEquals(5, root.dspServer().malformed());
        assertEquals(Message.OK, ask(new Message(Message.PING, 0, 16, new byte[0])).status(), "still serving");
    }

    @Test
    void shouldSurviveGarbageInTheRingCounters() {
        Shm.setLongRelease(requests.segment(), DspRingDescriptor.TAIL_OFFSET, 1_000_000);
        root.portals().raise(Nanokernel.ROOT, Portals.VECTOR_DSP);
        awaitMalformed(1);
        assertEquals(Message.ECONNRESET, ask(null).status(), "the vnode is told its ring was reset");

        assertEquals(Message.OK, ask(new Message(Message.PING, 0, 21, new byte[0])).status());
    }

    @Test
    void shouldRecoverFromANegativeHeadWithOneLogLine() {
        List<LogRecord> logged = capture(DspServer.class);
        try {
            DspFaults.garbleRequests(root.physmem().segment(), VNODE); // head=-5, tail=0, every slot garbage
            root.portals().raise(Nanokernel.ROOT, Portals.VECTOR_DSP);
            awaitMalformed(5);
            for (int i = 0; i < 5; i++) {
                assertEquals(Message.EPROTO, ask(null).status(), "each garbage slot is refused");
            }
            assertEquals(Message.OK, ask(new Message(Message.PING, 0, 31, new byte[0])).status(), "not stuck");
            assertEquals(0, DspRingDescriptor.tail(requests.segment()) - DspRingDescriptor.head(requests.segment()));

            // Again and again, as a broken vnode would: still one line in the period.
            for (int round = 0; round < 20; round++) {
                DspRingDescriptor.head(requests.segment(), Long.MIN_VALUE + round);
                Message reset = ask(null);
                assertEquals(Message.ECONNRESET, reset.status());
                assertEquals(0, reset.requestId(), "a reset answers no request of the vnode's");
                assertTrue(reset.text().contains("the ring was reset"), reset.text());
                assertEquals(Message.OK, ask(new Message(Message.PING, 0, 40 + round, new byte[0])).status());
            }
            assertEquals(1, logged.size(), "one log line, not one per message: " + logged.stream()
                    .map(LogRecord::getMessage).toList());
            assertTrue(logged.get(0).getMessage().contains("5 malformed messages from vnode " + VNODE),
                    logged.get(0).getMessage());
        } finally {
            release(DspServer.class);
        }
    }

    @Test
    void shouldFailAWaitingCallAtOnceWhenItsAnswersRingIsReset() {
        // A client no interrupt thread drains: its caller would wait out its 10 s timeout, but for
        // the one drain below, which finds the answers ring's counters garbage.
        try (Kernel orphanRoot = Kernel.boot(Kernel.Config.root(dir, "reset", 8L << 20))) {
            DspClient client = new DspClient(orphanRoot.physmem().segment(), 6, orphanRoot.portals(),
                    Duration.ofSeconds(10));
            Ring answers = new Ring(orphanRoot.physmem().segment(), ControlArea.dspResponses(6));
            Thread.ofPlatform().start(() -> {
                // Garbage in the answers ring once the call is sent (the root may have taken it
                // already: the tail tells), then the client drains it.
                Ring asked = new Ring(orphanRoot.physmem().segment(), ControlArea.dspRequests(6));
                while (DspRingDescriptor.tail(asked.segment()) == 0) {
                    Thread.onSpinWait();
                }
                DspRingDescriptor.tail(answers.segment(), 1_000);
                client.drain();
            });
            long start = System.nanoTime();
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> client.call(Message.PING, new byte[0]));
            assertTrue(System.nanoTime() - start < 5_000_000_000L, "failed at once, not at the timeout");
            assertTrue(e.getMessage().contains("the answer was lost: ring counters head=0 tail=1000"), e.getMessage());
            assertTrue(DspRingDescriptor.head(answers.segment()) >= 1_000, "the client reset the ring it consumes");
        }
    }

    @Test
    void shouldRefuseAPayloadThatDoesNotFitASlot() {
        assertThrows(IllegalArgumentException.class,
                () -> requests.offer(new Message(Message.PING, 0, 1, new byte[DspRingDescriptor.MAX_PAYLOAD + 1])));
    }

    @Test
    void shouldTimeOutWhenTheRootDoesNotAnswer() {
        // A root whose nanokernel domain swallows DSP interrupts before its server sees them.
        try (Kernel orphanRoot = Kernel.boot(Kernel.Config.root(dir, "orphan", 8L << 20))) {
            orphanRoot.pipeline().attach(org.smpcluster.api.nanokernel.InterruptPipeline.NANOKERNEL,
                    Portals.VECTOR_DSP, (v, h) -> false); // swallows DSP interrupts before the server
            DspClient client = new DspClient(orphanRoot.physmem().segment(), 6, orphanRoot.portals(),
                    Duration.ofMillis(200));
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> client.call(Message.PING, new byte[0]));
            assertTrue(e.getMessage().matches(".*did not answer PING #\\d+ within 200 ms.*"), e.getMessage());
        }
    }

    /** Offers {@code request} (if any), rings the root, and waits for the next answer. */
    private Message ask(Message request) {
        if (request != null) {
            assertTrue(requests.offer(request));
        }
        root.portals().raise(Nanokernel.ROOT, Portals.VECTOR_DSP);
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (System.nanoTime() < deadline) {
            Message answer = responses.poll();
            if (answer != null) {
                return answer;
            }
            Thread.onSpinWait();
        }
        throw new AssertionError("no answer from the root within 5 s");
    }

    private static List<LogRecord> capture(Class<?> source) {
        List<LogRecord> records = new java.util.concurrent.CopyOnWriteArrayList<>();
        Logger logger = Logger.getLogger(source.getName());
        logger.setLevel(java.util.logging.Level.ALL); // whatever another test set it to
        logger.addHandler(new Handler() {
            @Override
            public void publish(LogRecord r) {
                records.add(r);
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        });
        return records;
    }

    private static void release(Class<?> source) {
        Logger logger = Logger.getLogger(source.getName());
        for (Handler h : logger.getHandlers()) {
            logger.removeHandler(h);
        }
        logger.setLevel(null);
    }

    private void awaitMalformed(long count) {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (root.dspServer().malformed() < count) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the root never counted the malformed ring");
            }
            Thread.onSpinWait();
        }
    }
}
