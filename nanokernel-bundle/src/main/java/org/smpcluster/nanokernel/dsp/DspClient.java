package org.smpcluster.nanokernel.dsp;

import java.lang.System.Logger.Level;
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
    private final RootWatch root;
    private final LogLimiter reports = new LogLimiter(LOG, 1, 10_000_000_000L);
    /** How often a waiting caller looks whether the root is still there. */
    private static final long ROOT_CHECK_NANOS = 50_000_000;
    private static final System.Logger LOG = System.getLogger(DspClient.class.getName());

    public DspClient(MemorySegment physmem, int vnode, Portals portals, Duration timeout) {
        this(physmem, vnode, portals, timeout, null);
    }

    /**
     * @param root how to tell that the root is gone, so that calls fail at once instead of
     *        after the timeout; null to wait the timeout out (tests of the protocol alone)
     */
    public DspClient(MemorySegment physmem, int vnode, Portals portals, Duration timeout, RootWatch root) {
        if (vnode <= Nanokernel.ROOT || vnode >= Nanokernel.MAX_VNODES) {
            throw new IllegalArgumentException("vnode=" + vnode + ": only vnodes 1.." + (Nanokernel.MAX_VNODES - 1)
                    + " talk to the root over the DSP");
        }
        this.vnode = vnode;
        this.requests = new Ring(physmem, ControlArea.dspRequests(vnode));
        this.responses = new Ring(physmem, ControlArea.dspResponses(vnode));
        this.portals = portals;
        this.timeout = timeout;
        this.root = root;
    }

    /**
     * Sends a request and returns the root's answer's payload.
     *
     * @throws DspException when the root refused it
     * @throws RootGoneException at once when the root is gone (or goes while this call waits)
     * @throws IllegalStateException when the root did not answer within the timeout
     */
    public Message call(int type, byte[] payload) {
        checkRoot(type, "not sent", root == null ? null : root.gone());
        long id = ids.incrementAndGet();
        Message request = new Message(type, 0, id, payload);
        CompletableFuture<Message> answer = new CompletableFuture<>();
        waiting.put(id, answer);
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            sending.lock();
            try {
                boolean rang = false;
                while (!requests.offer(request)) {
                    if (System.nanoTime() - deadline > 0) {
                        throw new IllegalStateException(timeoutMessage(request) + " (its request ring stayed full)");
                    }
                    if (!rang) {
                        // The root drains on its interrupt: make sure it has one to drain on.
                        portals.raise(Nanokernel.ROOT, Portals.VECTOR_DSP);
                        rang = true;
                    }
                    Thread.onSpinWait();
                }
            } finally {
                sending.unlock();
            }
            portals.raise(Nanokernel.ROOT, Portals.VECTOR_DSP);
            Message response = await(answer, request, deadline);
            if (response.type() != (type | Message.RESPONSE) && response.status() == Message.OK) {
                throw new IllegalStateException("the root answered " + Message.typeName(type) + " #" + id + " with a "
                        + Message.typeName(response.type()));
            }
            if (response.status() != Message.OK) {
                throw new DspException(response.status(), response.text());
            }
            return response;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted waiting for the root's answer to "
                    + Message.typeName(type), e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(e.getCause());
        } finally {
            waiting.remove(id);
        }
    }

    /**
     * Waits for the answer in slices, looking at the root between them: a root that died does
     * not keep its callers for the whole timeout.
     */
    private Message await(CompletableFuture<Message> answer, Message request, long deadline)
            throws InterruptedException, ExecutionException {
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new IllegalStateException(timeoutMessage(request));
            }
            try {
                return answer.get(Math.min(left, ROOT_CHECK_NANOS), TimeUnit.NANOSECONDS);
            } catch (TimeoutException slice) {
                checkRoot(request.type(), "not answered", root == null ? null : root.check());
            }
        }
    }

    private void checkRoot(int type, String what, String gone) {
        if (gone != null) {
            throw new RootGoneException("vnode " + vnode + ": " + Message.typeName(type) + " " + what + ": " + gone
                    + "; nobody serves this vnode any more");
        }
    }

    /** Whether this vnode's root was last seen gone (without looking again). */
    public boolean rootGone() {
        return root != null && root.gone() != null;
    }

    /** The root is gone (the caller saw it): every caller waiting fails now, not at its timeout. */
    public void rootGone(String why) {
        failWaiting(new RootGoneException("vnode " + vnode + ": no answer will come: " + why));
    }

    private void failWaiting(RuntimeException why) {
        for (CompletableFuture<Message> f : waiting.values()) {
            f.completeExceptionally(why);
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
            } catch (Ring.CorruptRing e) {
                // Whatever the root answered meanwhile is lost: its callers fail now.
                stale.incrementAndGet();
                reports.log(0, Level.WARNING, "vnode " + vnode + ": the root's answers ring: " + e.getMessage());
                failWaiting(new IllegalStateException("vnode " + vnode + ": the answer was lost: " + e.getMessage()));
                continue;
            } catch (Ring.MalformedMessage malformed) {
                stale.incrementAndGet();
                reports.log(0, Level.WARNING, "vnode " + vnode + ": malformed answer from the root: "
                        + malformed.getMessage());
                CompletableFuture<Message> answer = waiting.get(malformed.requestId);
                if (answer != null) {
                    answer.completeExceptionally(new IllegalStateException("vnode " + vnode
                            + ": the root's answer was malformed: " + malformed.getMessage()));
                }
                continue;
            }
            if (response == null) {
                break;
            }
            if (response.requestId() == 0 && response.status() == Message.ECONNRESET) {
                // The root reset our request ring (its counters were garbage): what we asked is lost.
                stale.incrementAndGet();
                failWaiting(new IllegalStateException("vnode " + vnode + ": the request was lost: the root says "
                        + response.text()));
                continue;
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
