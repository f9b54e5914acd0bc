package org.smpcluster.mosix.cluster;

import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * MOSIX's load balancing and memory ushering, as decisions: given the cluster's loads and this
 * vnode's own processes, which one (if any) to move where now. Plain Java, no threads and no
 * clock of its own (the caller passes {@code now}), so that tests feed it made-up views;
 * {@link BalancerAgent} runs it on every vnode. Only the vnode that has the load decides, for
 * its own processes, so two vnodes never decide about the same process.
 *
 * <p>Against ping-pong:
 * <ul>
 * <li>a move only when the target, with the process, is less loaded than this vnode is now: this
 *     vnode's load per CPU exceeds the target's by more than one process's share ({@code 1 /
 *     target CPUs}), so the move lowers the higher load: 2 processes against 0 move one, 2
 *     against 1 stay;
 * <li>a process that moved here stays put for {@link #STAY_NANOS};
 * <li>a move this vnode made counts on its target until the target's sampled load (every 100 ms)
 *     rises, or {@link #SETTLE_NANOS}, so the next decision does not send it more than its share;
 * <li>the target refuses a balancing move that takes it over its share of the cluster's load
 *     ({@link #share}), which two loaded vnodes deciding at once would otherwise do.
 * </ul>
 */
public final class Balancer {

    /** How long a process that moved here stays put before the balancer moves it again. */
    public static final long STAY_NANOS = TimeUnit.SECONDS.toNanos(3);
    /** How long a move counts on its target before its published load is trusted to show it. */
    public static final long SETTLE_NANOS = TimeUnit.MILLISECONDS.toNanos(300);
    /** Memory ushering begins when this vnode's free heap is under this fraction of its maximum. */
    public static final double USHER_FREE_FRACTION = 0.2;

    /** A vnode as the balancer sees it: runnable processes, CPUs, free and maximum heap (0: unknown). */
    public record Node(int vnode, int runnable, int cpus, long freeBytes, long maxBytes) {
        double load() {
            return (double) runnable / Math.max(1, cpus);
        }
    }

    /** A process of this vnode the balancer may move: running, migratable and not locked. */
    public record Candidate(long pid, long memoryBytes, boolean arrived, long sinceNanos) {
    }

    /** What to do: move {@code pid} to {@code to}, because of {@code why} ("load" or "memory"). */
    public record Move(long pid, int to, String why) {
    }

    /** A move made: it counts on {@code to} until its table shows more than {@code published}, or until the deadline. */
    private record Pending(int to, int published, long untilNanos) {
    }

    /** How long a process whose move failed (refused, or it could not move) is left alone. */
    public static final long COOL_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final int self;
    private final Map<Long, Pending> pending = new HashMap<>();
    private final Map<Long, Long> cooling = new HashMap<>();

    public Balancer(int self) {
        this.self = self;
    }

    /**
     * The move to make now, if any.
     *
     * @param nodes the vnodes that are up, this one included (its runnable count exact, the
     *              others' as their tables last said)
     * @param here  this vnode's movable processes (running, migratable, not locked)
     * @param now   {@code System.nanoTime()}
     */
    public synchronized Optional<Move> decide(List<Node> nodes, List<Candidate> here, long now) {
        Map<Integer, Integer> shown = new HashMap<>();
        nodes.forEach(n -> shown.put(n.vnode(), n.runnable()));
        pending.values().removeIf(p -> now - p.untilNanos() >= 0 || shown.getOrDefault(p.to(), 0) > p.published());
        cooling.values().removeIf(until -> now - until >= 0);
        Map<Integer, Integer> inFlight = new HashMap<>();
        pending.values().forEach(p -> inFlight.merge(p.to(), 1, Integer::sum));
        Node me = null;
        List<Node> others = new java.util.ArrayList<>();
        for (Node n : nodes) {
            Node adjusted = new Node(n.vnode(), n.runnable() + (n.vnode() == self ? 0 : inFlight.getOrDefault(n.vnode(), 0)),
                    n.cpus(), n.freeBytes(), n.maxBytes());
            if (n.vnode() == self) {
                me = adjusted;
            } else {
                others.add(adjusted);
            }
        }
        List<Candidate> movable = here.stream().filter(c -> !c.arrived() || now - c.sinceNanos() >= STAY_NANOS)
                .filter(c -> !cooling.containsKey(c.pid())).toList();
        if (me == null || others.isEmpty() || movable.isEmpty()) {
            return Optional.empty();
        }
        Optional<Move> m = usher(me, others, movable);
        if (m.isEmpty()) {
            m = balance(me, others, movable);
        }
        m.ifPresent(move -> pending.put(move.pid(), new Pending(move.to(), shown.getOrDefault(move.to(), 0),
                now + SETTLE_NANOS)));
        return m;
    }

    /** Short of memory: the largest process to the vnode with the most free heap, if it has room for it. */
    private static Optional<Move> usher(Node me, List<Node> others, List<Candidate> movable) {
        if (me.maxBytes() <= 0 || me.freeBytes() >= USHER_FREE_FRACTION * me.maxBytes()) {
            return Optional.empty();
        }
        Candidate largest = movable.stream().max(Comparator.comparingLong(Candidate::memoryBytes)).orElseThrow();
        Node roomiest = others.stream().max(Comparator.comparingLong(Node::freeBytes)).orElseThrow();
        // Room: it fits there with its own size to spare, and there it is better off than here.
        if (roomiest.freeBytes() > 2 * largest.memoryBytes() && roomiest.freeBytes() > me.freeBytes()) {
            return Optional.of(new Move(largest.pid(), roomiest.vnode(), "memory"));
        }
        return Optional.empty();
    }

    /** Loaded: one process to the least loaded vnode, when that lowers the max load by a process's share. */
    private static Optional<Move> balance(Node me, List<Node> others, List<Candidate> movable) {
        Node least = others.stream().min(Comparator.comparingDouble((Node n) -> (n.runnable() + 1.0) / Math.max(1, n.cpus()))
                .thenComparingInt(Node::vnode)).orElseThrow();
        double after = (least.runnable() + 1.0) / Math.max(1, least.cpus());
        if (after >= me.load() - 1e-9) {
            return Optional.empty(); // it would be as loaded there as it is here: no gain, only a move
        }
        // The cheapest to move: the smallest (least state to ship), the oldest here when they tie.
        Candidate c = movable.stream().min(Comparator.comparingLong(Candidate::memoryBytes)
                .thenComparingLong(Candidate::sinceNanos)).orElseThrow();
        return Optional.of(new Move(c.pid(), least.vnode(), "load"));
    }

    /** A move failed (refused, or the process ended): it no longer counts on its target, and it is left alone a while. */
    public synchronized void failed(long pid, long now) {
        pending.remove(pid);
        cooling.put(pid, now + COOL_NANOS);
    }

    /**
     * Whether a vnode of {@code cpus} CPUs running {@code runnable} processes takes one more from
     * the balancer: not beyond its share of the cluster's runnable processes (the incoming one is
     * counted at its source already) by CPUs, rounded up.
     */
    public static boolean share(int runnable, int cpus, int clusterRunnable, int clusterCpus) {
        double share = Math.ceil((double) clusterRunnable * Math.max(1, cpus) / Math.max(1, clusterCpus));
        return runnable + 1 <= Math.max(1, share);
    }
}
