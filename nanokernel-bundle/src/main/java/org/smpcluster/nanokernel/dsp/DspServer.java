package org.smpcluster.nanokernel.dsp;

import java.lang.System.Logger.Level;
import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import org.smpcluster.api.nanokernel.Nanokernel;
import org.smpcluster.api.nanokernel.Portals;
import org.smpcluster.nanokernel.layout.ControlArea;

/**
 * The root's side of the DSP: on each {@link Portals#VECTOR_DSP} interrupt it drains every
 * vnode's request ring, runs the handler for each request and rings the answer back. A
 * malformed or refused request gets an error answer and is counted; nothing a vnode writes into
 * its ring can take the root down, and the root never blocks on a vnode that stopped reading.
 */
public final class DspServer {

    /** Handles one request type on the root. */
    @FunctionalInterface
    public interface Handler {
        /** Returns the response payload; throws {@link DspException} to refuse. */
        byte[] handle(int vnode, Message request);
    }

    private static final System.Logger LOG = System.getLogger(DspServer.class.getName());
    /** How long the root retries a response into a full ring before dropping it. */
    private static final long RESPONSE_PATIENCE_NANOS = 1_000_000;
    /** The most requests served from one vnode in one pass before the others get their turn. */
    private static final int BATCH = 4 * org.smpcluster.nanokernel.layout.DspRingDescriptor.SLOTS;
    /** How often a vnode's bad traffic may be logged. */
    private static final long REPORT_PERIOD_NANOS = 10_000_000_000L;

    private final Ring[] requests = new Ring[Nanokernel.MAX_VNODES];
    private final Ring[] responses = new Ring[Nanokernel.MAX_VNODES];
    private final Portals portals;
    private final Map<Integer, Handler> handlers;
    private final AtomicLong handled = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong malformed = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private final LogLimiter reports = new LogLimiter(LOG, Nanokernel.MAX_VNODES, REPORT_PERIOD_NANOS);

    public DspServer(MemorySegment physmem, Portals portals, Map<Integer, Handler> handlers) {
        this.portals = portals;
        this.handlers = Map.copyOf(handlers);
        for (int v = 0; v < Nanokernel.MAX_VNODES; v++) {
            requests[v] = new Ring(physmem, ControlArea.dspRequests(v));
            responses[v] = new Ring(physmem, ControlArea.dspResponses(v));
        }
    }

    /** Serves every request waiting in every vnode's ring. Called on the root's interrupt thread. */
    public void drain() {
        for (int v = 1; v < Nanokernel.MAX_VNODES; v++) {
            try {
                serve(v);
            } catch (RuntimeException e) {
                // One vnode's trouble must not keep the others waiting, nor flood the log.
                malformed.incrementAndGet();
                StackTraceElement[] at = e.getStackTrace();
                reports.log(v, Level.ERROR, "DSP: serving vnode " + v + " failed: " + e
                        + (at.length > 0 ? " at " + at[0] : ""));
            }
        }
    }

    /**
     * A vnode left or died: what it asked and never had answered is dropped, not run later, and
     * answers it never took are dropped too, so that its next incarnation starts with empty
     * rings (garbage counters included). Nobody else writes either ring meanwhile: the vnode is
     * gone, and this runs on the root's only consumer and producer of its rings.
     */
    public void discard(int vnode) {
        requests[vnode].skipAll();
        responses[vnode].skipAll();
    }

    private void serve(int vnode) {
        int malformedHere = 0;
        String first = null;
        try {
            for (int served = 0; ; served++) {
                if (served == BATCH) {
                    // Fairness: the other vnodes' requests wait no longer than a batch; come back.
                    portals.raise(Nanokernel.ROOT, Portals.VECTOR_DSP);
                    return;
                }
                if (!responses[vnode].hasRoom()) {
                    // Answer only what can be answered: the vnode drains its answers and rings again.
                    // Ring it in case it does not know there are answers (a reset lost its interrupt).
                    if (!requests[vnode].isEmpty()) {
                        portals.raise(vnode, Portals.VECTOR_DSP);
                    }
                    return;
                }
                Message request;
                try {
                    request = requests[vnode].poll();
                } catch (Ring.MalformedMessage e) {
                    malformed.incrementAndGet();
                    if (malformedHere++ == 0) {
                        first = e.getMessage();
                    }
                    // Tell the vnode: this request is refused, or (a reset, request id 0) everything
                    // it waits for is lost.
                    respond(vnode, new Message(0, 0, e.requestId, new byte[0]).error(
                            e instanceof Ring.CorruptRing ? Message.ECONNRESET : Message.EPROTO, e.getMessage()));
                    continue;
                }
                if (request == null) {
                    return;
                }
                respond(vnode, answer(vnode, request));
            }
        } finally {
            if (malformedHere > 0) {
                reports.log(vnode, Level.WARNING, "DSP: " + malformedHere + " malformed message"
                        + (malformedHere == 1 ? "" : "s") + " from vnode " + vnode + " (first: " + first + ")");
            }
        }
    }

    private Message answer(int vnode, Message request) {
        if (request.isResponse()) {
            malformed.incrementAndGet();
            return request.error(Message.EPROTO, "vnode " + vnode + " sent a response to the root");
        }
        Handler handler = handlers.get(request.type());
        if (handler == null) {
            malformed.incrementAndGet();
            return request.error(Message.EPROTO, "unknown DSP request " + Message.typeName(request.type()));
        }
        try {
            byte[] payload = handler.handle(vnode, request);
            handled.incrementAndGet();
            return request.response(Message.OK, payload);
        } catch (DspException e) {
            refused.incrementAndGet();
            return request.error(e.status(), e.getMessage());
        } catch (RuntimeException e) {
            // A request the handler could not parse (short payload, bad values) is malformed.
            malformed.incrementAndGet();
            return request.error(Message.EPROTO, Message.typeName(request.type()) + ": " + e);
        }
    }

    private void respond(int vnode, Message response) {
        long deadline = System.nanoTime() + RESPONSE_PATIENCE_NANOS;
        while (!responses[vnode].offer(response)) {
            if (System.nanoTime() - deadline > 0) {
                dropped.incrementAndGet();
                return;
            }
            Thread.onSpinWait();
        }
        portals.raise(vnode, Portals.VECTOR_DSP);
    }

    public long handled() {
        return handled.get();
    }

    public long refused() {
        return refused.get();
    }

    public long malformed() {
        return malformed.get();
    }

    public long dropped() {
        return dropped.get();
    }
}
