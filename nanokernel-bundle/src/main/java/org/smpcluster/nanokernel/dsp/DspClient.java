package org.smpcluster.nanokernel.dsp;

import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

import org.smpcluster.api.nanokernel.Nanokernel;
import org.smpcluster.api.nanokernel.Portals;
import org.smpcluster.nanokernel.layout.ControlArea;

/**
 * A joiner's side of the DSP: {@link #call} puts a request in this vnode's request ring, rings
 * the root and waits for the answer, which {@link #drain} (run on this vnode's interrupt thread
 * on {@link Portals#VECTOR_DSP}) hands over by request id.
 */
public final class DspClient {

    private final int vnode;
    private final Ring requests;
    private final Ring responses;
    private final Portals portals;
    private final Duration timeout;
    private final ReentrantLock sending = new ReentrantLock();
    /**
     * Request ids start at a random place: answers a crashed incarnation of this vnode left in
     * the ring must not match this one's requests.
     */
    private final AtomicLong ids = new AtomicLong(java.util.concurrent.ThreadLocalRandom.current()
            .nextLong(1, Long.MAX_VALUE / 2));
    private final Map<Long, CompletableFuture<Message>> waiting = new ConcurrentHashMap<>();
    private final AtomicLong stale = new AtomicLong();

    public DspClient(MemorySegment physmem, int vnode, Portals portals, Duration timeout) {
        if (vnode <= Nanokernel.ROOT || vnode >= Nanokernel.MAX_VNODES) {
            throw new IllegalArgumentException("vnode=" + vnode + ": only vnodes 1.." + (Nanokernel.MAX_VNODES - 1)
                    + " talk to the root over the DSP");
        }
        this.vnode = vnode;
        this.requests = new Ring(physmem, ControlArea.dspRequests(vnode));
        this.responses = new Ring(physmem, ControlArea.dspResponses(vnode));
        this.portals = portals;
        this.timeout = timeout;
    }

    /**
     * Sends a request and returns the root's answer's payload.
     *
     * @throws DspException when the root refused it
     * @throws IllegalStateException when the root did not answer within the timeout
     */
    public Message call(int type, byte[] payload) {
        long id = ids.incrementAndGet();
        Message request = new Message(type, 0, id, payload);
        CompletableFuture<Message> answer = new CompletableFuture<>();
        waiting.put(id, answer);
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            sending.lock();
            try {
                while (!requests.offer(request)) {
                    if (System.nanoTime() - deadline > 0) {
                        throw new IllegalStateException(timeoutMessage(request) + " (its request ring stayed full)");
                    }
                    Thread.onSpinWait();
                }
            } finally {
                sending.unlock();
            }
            portals.raise(Nanokernel.ROOT, Portals.VECTOR_DSP);
            Message response = answer.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (response.type() != (type | Message.RESPONSE) && response.status() == Message.OK) {
                throw new IllegalStateException("the root answered " + Message.typeName(type) + " #" + id + " with a "
                        + Message.typeName(response.type()));
            }
            if (response.status() != Message.OK) {
                throw new DspException(response.status(), response.text());
            }
            return response;
        } catch (TimeoutException e) {
            throw new IllegalStateException(timeoutMessage(request), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted waiting for the root's answer to "
                    + Message.typeName(type), e);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        } finally {
            waiting.remove(id);
        }
    }

    private String timeoutMessage(Message request) {
        return "vnode " + vnode + ": the root did not answer " + Message.typeName(request.type()) + " #"
                + request.requestId() + " within " + timeout.toMillis() + " ms";
    }

    /** Hands every answer waiting in the response ring to its caller. Interrupt thread only. */
    public void drain() {
        while (true) {
            Message response;
            try {
                response = responses.poll();
            } catch (RuntimeException malformed) {
                stale.incrementAndGet();
                continue;
            }
            if (response == null) {
                break;
            }
            CompletableFuture<Message> answer = waiting.get(response.requestId());
            if (answer == null) {
                stale.incrementAndGet(); // its caller timed out and left, or another incarnation asked
            } else {
                answer.complete(response);
            }
        }
        if (!requests.isEmpty()) {
            // The root skipped our requests while our answers had no room: ring it again.
            portals.raise(Nanokernel.ROOT, Portals.VECTOR_DSP);
        }
    }

    /** Answers that arrived for no waiting caller, or could not be read. */
    public long stale() {
        return stale.get();
    }
}
