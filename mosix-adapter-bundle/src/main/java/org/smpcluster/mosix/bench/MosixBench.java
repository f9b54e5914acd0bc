package org.smpcluster.mosix.bench;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.stream.Stream;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Reference;
import org.smpcluster.api.nanokernel.Nanokernel;
import org.smpcluster.api.nanokernel.VnodeState;
import org.smpcluster.api.process.ExitStatus;
import org.smpcluster.api.process.Placement;
import org.smpcluster.api.process.ProcessInfo;
import org.smpcluster.api.process.ProcessManager;
import org.smpcluster.api.process.ProcessSpec;
import org.smpcluster.api.process.ProcessState;
import org.smpcluster.api.process.Signal;

/**
 * {@code mosix:bench}, which {@code ./smpcluster bench mosix} runs at the root of a cluster of
 * k = 2 vnodes on distinct CPUs (the root and vnode 1): issue 12's figures, each beside the
 * alternative a user would otherwise pick, measured in the same run.
 *
 * <ul>
 * <li><b>Balancing.</b> N = 4 copies of {@link Burn} (about 2 s of work alone, T, measured each
 * round) started on vnode 1: their total wall time over the ideal ⌈N/k⌉·T with the balancer free
 * to move them, and with every copy {@link ProcessSpec#withLocked locked} (nothing moves them);
 * beside the same N copies as plain threads of one JVM ({@link BurnThreads}, on both CPUs).
 * It measures whatever balancer the cluster has: without one, balanced is unbalanced.</li>
 * <li><b>The rewrite.</b> {@link Work}'s sort, matrix multiply and hash-map workloads as processes
 * of the root beside {@code java -cp} of the same classes pinned to the root's CPU, interleaved
 * (the order flips every round), CPU time of the working thread, median per workload, geometric
 * mean overall.</li>
 * <li><b>Migration.</b> {@link Ballast} with 1 MiB, then 64 MiB, of state moved root -> vnode 1
 * -> root ..., each move timed from the call (the freeze begins) to its return (it runs there,
 * restored); the first two moves of each size warm up and are left out.</li>
 * <li><b>The deputy.</b> {@link Stamps} migrated to vnode 1 writes 64-byte lines stamped with
 * CLOCK_MONOTONIC; each is timed at its arrival on the bench's stream at home, beside the same
 * program writing at home. (Measured with what there is: a migrated process's stdout through
 * its deputy channel.)</li>
 * </ul>
 * The programs are this bundle's own classes, written to a temporary directory for the process
 * loaders and for {@code java -cp}. Progress goes to stderr; the figures are the command's value.
 */
@Component(service = MosixBench.class, configurationPolicy = ConfigurationPolicy.IGNORE, property = {
        "osgi.command.scope=mosix", "osgi.command.function=bench"})
public final class MosixBench {

    static final String USAGE = """
            usage: mosix:bench [--rounds N] [--scale F] [--vnode V] [--only PARTS]
              issue 12's figures on this vnode (the root) and vnode V (default 1), each beside its
              alternative: balancing (N=4 copies of a ~2 s migratable program started on V, over
              the ideal ceil(N/k)*T, balanced and locked, beside 4 threads in one JVM), the
              rewrite's cost (processes beside java -cp on the same CPU), migration of 1 MiB and
              64 MiB of state (median, p99), a 64-byte write through the deputy beside one at home
              --rounds N   rounds of the balancing and rewrite runs (default 3), migration moves 8*N
              --scale F    fraction of the default work (default 1.0; 0.1 for a quick look)
              --vnode V    the other vnode (default 1); V and this vnode should be on distinct CPUs
              --only PARTS some of balancing,rewrite,migration,deputy (default: all)""";

    static final int COPIES = 4;
    static final int K = 2;
    static final double BALANCED_BAR = 1.15;
    static final double REWRITE_BAR = 0.9;
    private static final String[] WORKLOADS = {"sort", "matmul", "hashmap"};
    private static final List<Class<?>> PROGRAMS = List.of(Work.class, Burn.class, BurnWork.class, BurnThreads.class,
            Ballast.class, Stamps.class);
    private static final long WAIT_MINUTES = 10;

    private final ProcessManager processes;
    private final Nanokernel nanokernel;

    @Activate
    public MosixBench(@Reference ProcessManager processes, @Reference Nanokernel nanokernel) {
        this.processes = processes;
        this.nanokernel = nanokernel;
    }

    /** What {@code --rounds}, {@code --scale}, {@code --vnode} say; null for --help. */
    record Options(int rounds, double scale, int vnode, List<String> parts) {

        static final List<String> PARTS = List.of("balancing", "rewrite", "migration", "deputy");

        Options(int rounds, double scale, int vnode) {
            this(rounds, scale, vnode, PARTS);
        }

        boolean runs(String part) {
            return parts.contains(part);
        }

        static Options parse(String... args) {
            int rounds = 3;
            double scale = 1.0;
            int vnode = 1;
            List<String> parts = PARTS;
            for (int k = 0; k < args.length; k++) {
                String a = args[k];
                switch (a) {
                    case "--help", "-h" -> {
                        return null;
                    }
                    case "--rounds", "-r" -> rounds = positive(a, value(args, ++k, a));
                    case "--vnode", "-v" -> vnode = positive(a, value(args, ++k, a));
                    case "--scale" -> {
                        String v = value(args, ++k, a);
                        try {
                            scale = Double.parseDouble(v);
                        } catch (NumberFormatException e) {
                            scale = -1;
                        }
                        if (!(scale > 0 && scale <= 10)) {
                            throw new IllegalArgumentException("--scale=" + v + " is not a number in (0, 10]");
                        }
                    }
                    case "--only" -> {
                        String v = value(args, ++k, a);
                        parts = List.of(v.split(","));
                        for (String p : parts) {
                            if (!PARTS.contains(p)) {
                                throw new IllegalArgumentException("--only=" + v + ": " + p + " is not one of " + PARTS);
                            }
                        }
                    }
                    default -> throw new IllegalArgumentException("option=" + a + " is not one of --rounds N --scale F"
                            + " --vnode V --only PARTS --help (mosix:bench --help)");
                }
            }
            return new Options(rounds, scale, vnode, parts);
        }

        private static String value(String[] args, int k, String option) {
            if (k >= args.length) {
                throw new IllegalArgumentException("option=" + option + " needs a value");
            }
            return args[k];
        }

        private static int positive(String option, String v) {
            try {
                int n = Integer.parseInt(v);
                if (n > 0) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // said below
            }
            throw new IllegalArgumentException(option + "=" + v + " is not a positive number");
        }
    }

    @Descriptor("issue 12's figures: balancing, the rewrite's cost, migration, the deputy (slow; --help)")
    public String bench(@Descriptor("[--rounds N] [--scale F] [--vnode V] [--only PARTS] or --help") String... args) throws Exception {
        Options o = Options.parse(args);
        if (o == null) {
            return USAGE;
        }
        int self = nanokernel.vnodeId();
        if (o.vnode() == self) {
            throw new IllegalArgumentException("--vnode=" + o.vnode() + " is this vnode: name the other one");
        }
        VnodeState other = nanokernel.vnodes().stream().filter(v -> v.id() == o.vnode()).findFirst()
                .filter(v -> VnodeState.JOINED.equals(v.state()))
                .orElseThrow(() -> new IllegalArgumentException("--vnode=" + o.vnode() + " is not up (nk:vnodes lists"
                        + " the vnodes)"));
        PrintStream progress = System.err;
        Path dir = Files.createTempDirectory("smpcluster-mosix-bench");
        List<Long> started = new ArrayList<>();
        try {
            writePrograms(dir);
            String selfCpus = cpus(ProcessHandle.current().pid());
            String otherCpus = cpus(other.pid());
            progress.printf(Locale.ROOT, "# mosix bench: vnode %d (CPUs %s) and vnode %d (CPUs %s), %d rounds, scale"
                    + " %.2f%n", self, selfCpus, o.vnode(), otherCpus, o.rounds(), o.scale());
            Run run = new Run(o, dir, progress, started, selfCpus, otherCpus);
            StringBuilder out = new StringBuilder();
            if (o.runs("balancing")) {
                run.balancing(out);
            }
            if (o.runs("rewrite")) {
                run.rewrite(out);
            }
            if (o.runs("migration")) {
                run.migration(out);
            }
            if (o.runs("deputy")) {
                run.deputy(out);
            }
            return out.toString().stripTrailing();
        } finally {
            for (long pid : started) {
                processes.info(pid).filter(i -> i.state() != ProcessState.EXITED)
                        .ifPresent(i -> processes.signal(pid, Signal.SIGKILL));
            }
            delete(dir);
        }
    }

    /** One run of the benchmark. */
    private final class Run {
        private final Options o;
        private final Path dir;
        private final PrintStream progress;
        private final List<Long> started;
        private final String selfCpus;
        private final String otherCpus;

        Run(Options o, Path dir, PrintStream progress, List<Long> started, String selfCpus, String otherCpus) {
            this.o = o;
            this.dir = dir;
            this.progress = progress;
            this.started = started;
            this.selfCpus = selfCpus;
            this.otherCpus = otherCpus;
        }

        void balancing(StringBuilder out) throws Exception {
            Placement there = Placement.on(o.vnode());
            // Calibrate: units for about 2 s (times the scale) of one copy alone there. A fresh
            // vnode runs its first programs slower (its own JIT still at work), so probe again
            // at the size found until a run is within 15% of the target (four tries at most).
            double target = 2e9 * o.scale();
            long units = 50;
            timeCopies(units, 1, there, false, null); // warm-up: a fresh vnode's first one is 10x slower
            long t = timeCopies(units, 1, there, false, null);
            for (int tries = 0; tries < 5 && Math.abs(t - target) > 0.15 * target; tries++) {
                units = Math.max(10, Math.round(units * target / t));
                t = timeCopies(units, 1, there, false, null);
            }
            progress.printf(Locale.ROOT, "# balancing: %d units of Burn took %.2f s alone on vnode %d%n", units, t / 1e9,
                    o.vnode());
            List<Double> alone = new ArrayList<>();
            List<Double> balanced = new ArrayList<>();
            List<Double> locked = new ArrayList<>();
            List<Double> threads = new ArrayList<>();
            List<Double> balancedRatio = new ArrayList<>();
            List<Double> lockedRatio = new ArrayList<>();
            List<Double> threadsRatio = new ArrayList<>();
            int moved = 0;
            for (int r = 0; r < o.rounds(); r++) {
                long tAlone = timeCopies(units, 1, there, false, null);
                double ideal = Math.ceil((double) COPIES / K) * tAlone;
                long b;
                long l;
                int[] movedNow = new int[1];
                if (r % 2 == 0) {
                    b = timeCopies(units, COPIES, there, false, movedNow);
                    l = timeCopies(units, COPIES, there, true, null);
                } else {
                    l = timeCopies(units, COPIES, there, true, null);
                    b = timeCopies(units, COPIES, there, false, movedNow);
                }
                long th = threads(units);
                moved += movedNow[0];
                alone.add(tAlone / 1e9);
                balanced.add(b / 1e9);
                locked.add(l / 1e9);
                threads.add(th / 1e9);
                balancedRatio.add(b / ideal);
                lockedRatio.add(l / ideal);
                threadsRatio.add(th / ideal);
                progress.printf(Locale.ROOT, "# balancing round %d: T %.2f s, balanced %.2f s (%d moved), locked %.2f s,"
                        + " threads %.2f s%n", r + 1, tAlone / 1e9, b / 1e9, movedNow[0], l / 1e9, th / 1e9);
            }
            double tMedian = median(alone);
            line(out, "burn-alone", tMedian, "s", "T: one copy alone on vnode " + o.vnode() + ", median of "
                    + o.rounds());
            line(out, "balanced-wall", median(balanced), "s", COPIES + " copies started on vnode " + o.vnode()
                    + ", k=" + K + " vnodes, the balancer free to move them; copies seen away: " + moved + " in "
                    + o.rounds() + " rounds");
            line(out, "balanced-over-ideal-ratio", median(balancedRatio), "x", String.format(Locale.ROOT,
                    "over ceil(%d/%d)*T = %.2f s; bar <= %.2f; locked %.3f, threads %.3f", COPIES, K,
                    Math.ceil((double) COPIES / K) * tMedian, BALANCED_BAR, median(lockedRatio), median(threadsRatio)));
            line(out, "unbalanced-wall", median(locked), "s", "the same copies, each withLocked(true)");
            line(out, "unbalanced-over-ideal-ratio", median(lockedRatio), "x", "nothing moves them: about "
                    + COPIES + "/" + Math.ceil((double) COPIES / K) + " = " + (double) COPIES / Math.ceil((double) COPIES / K)
                    + " on one CPU");
            line(out, "threads-wall", median(threads), "s", COPIES + " plain threads in one JVM on CPUs " + selfCpus
                    + "," + otherCpus);
            line(out, "threads-over-ideal-ratio", median(threadsRatio), "x", "the alternative without a cluster");
        }

        /**
         * Wall time of {@code n} copies of {@code Burn units} started together on {@code where},
         * from the first spawn to the last end; {@code moved[0]} counts copies seen running away
         * from {@code where} (the balancer moved them), sampled every 50 ms.
         */
        long timeCopies(long units, int n, Placement where, boolean lock, int[] moved) throws Exception {
            List<Long> pids = new ArrayList<>();
            List<ByteArrayOutputStream> outs = new ArrayList<>();
            List<CompletableFuture<ExitStatus>> exits = new ArrayList<>();
            long t0 = System.nanoTime();
            for (int c = 0; c < n; c++) {
                ByteArrayOutputStream b = new ByteArrayOutputStream();
                ProcessInfo p = processes.spawn(spec(Burn.class, Long.toString(units)).withLocked(lock).withStdout(b)
                        .withName("burn-" + c), where);
                started.add(p.pid());
                pids.add(p.pid());
                outs.add(b);
                exits.add(processes.onExit(p.pid()));
            }
            CompletableFuture<Void> all = CompletableFuture.allOf(exits.toArray(CompletableFuture[]::new));
            java.util.Set<Long> away = new java.util.HashSet<>();
            while (!all.isDone()) {
                if (moved != null) {
                    for (long pid : pids) {
                        processes.info(pid).filter(i -> i.state() != ProcessState.EXITED
                                && i.currentVnode() != where.vnode()).ifPresent(i -> away.add(pid));
                    }
                }
                try {
                    all.get(50, TimeUnit.MILLISECONDS);
                } catch (java.util.concurrent.TimeoutException notYet) {
                    if (System.nanoTime() - t0 > TimeUnit.MINUTES.toNanos(WAIT_MINUTES)) {
                        throw new IllegalStateException(n + " copies of Burn " + units + " still run after "
                                + WAIT_MINUTES + " minutes");
                    }
                }
            }
            long wall = System.nanoTime() - t0;
            if (moved != null) {
                moved[0] = away.size();
            }
            String first = null;
            for (int c = 0; c < n; c++) {
                ExitStatus s = exits.get(c).get();
                String text = outs.get(c).toString(StandardCharsets.UTF_8).strip();
                if (s.code() != 0 || !text.startsWith("burn " + units + " ")) {
                    throw new IllegalStateException("Burn " + units + " (pid " + pids.get(c) + ") ended " + s + " printing '"
                            + text + "'");
                }
                if (first != null && !first.equals(text)) {
                    throw new IllegalStateException("copies of Burn computed different results: '" + first + "', '" + text
                            + "' (a move lost or repeated work)");
                }
                first = text;
            }
            return wall;
        }

        /** Wall time of the same copies as plain threads of one JVM on both vnodes' CPUs. */
        long threads(long units) throws Exception {
            String out = host(selfCpus + "," + otherCpus, BurnThreads.class, Long.toString(units),
                    Integer.toString(COPIES));
            String[] f = out.strip().split(" ");
            if (f.length != 4 || !f[0].equals("threads")) {
                throw new IllegalStateException("BurnThreads printed '" + out + "'");
            }
            return Long.parseLong(f[2]);
        }

        void rewrite(StringBuilder out) throws Exception {
            double product = 1;
            int rounds = Math.max(3, o.rounds() * 2 + 1);
            for (String w : WORKLOADS) {
                int reps = Math.max(1, (int) Math.round(reps(w) * o.scale()));
                List<Double> ratios = new ArrayList<>();
                List<Double> plainMs = new ArrayList<>();
                List<Double> procMs = new ArrayList<>();
                for (int r = 0; r < rounds; r++) {
                    long[] p;
                    long[] q;
                    if (r % 2 == 0) {
                        p = plain(w, reps);
                        q = process(w, reps);
                    } else {
                        q = process(w, reps);
                        p = plain(w, reps);
                    }
                    if (p[2] != q[2]) {
                        throw new IllegalStateException("workload=" + w + ": the process computed " + q[2]
                                + ", java -cp " + p[2]);
                    }
                    ratios.add((double) p[1] / q[1]);
                    plainMs.add(p[1] / 1e6);
                    procMs.add(q[1] / 1e6);
                }
                double m = median(ratios);
                product *= m;
                progress.printf(Locale.ROOT, "# rewrite %s: %s%n", w, ratios);
                line(out, "rewrite-" + w + "-speed-ratio", m, "x", String.format(Locale.ROOT,
                        "java -cp %.1f ms, process %.1f ms of CPU, median of %d", median(plainMs), median(procMs), rounds));
            }
            line(out, "rewrite-speed-ratio", Math.pow(product, 1.0 / WORKLOADS.length), "x", "geometric mean; processes"
                    + " of vnode " + nanokernel.vnodeId() + " beside java -cp on CPUs " + selfCpus + "; bar >= "
                    + REWRITE_BAR);
        }

        /**
         * {wall, CPU of the working thread, check} of {@code Work w reps} by {@code java -cp} on
         * this vnode's CPUs, with this JVM's collector and heap limit: a JVM started on one CPU
         * picks the serial collector, whose cheaper barriers would be counted as the rewrite's
         * cost (the hash-map workload allocates).
         */
        long[] plain(String w, int reps) throws Exception {
            return parseWork(host(selfCpus, List.of(collector(), "-Xmx" + (Runtime.getRuntime().maxMemory() >> 20) + "m"),
                    Work.class, w, Integer.toString(reps)), w);
        }

        long[] process(String w, int reps) throws Exception {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            ProcessInfo p = processes.spawn(spec(Work.class, w, Integer.toString(reps)).withStdout(b)
                    .withName("bench-" + w).withLocked(true), Placement.HOME);
            started.add(p.pid());
            ExitStatus s = processes.onExit(p.pid()).get(WAIT_MINUTES, TimeUnit.MINUTES);
            if (s.code() != 0) {
                throw new IllegalStateException("Work " + w + " as a process ended " + s + " printing " + b);
            }
            return parseWork(b.toString(StandardCharsets.UTF_8), w);
        }

        void migration(StringBuilder out) throws Exception {
            int moves = Math.max(6, 8 * o.rounds());
            for (int mib : new int[] {1, 64}) {
                Lines lines = new Lines();
                ProcessInfo p = processes.spawn(spec(Ballast.class, Integer.toString(mib)).withStdout(lines)
                        .withName("ballast-" + mib).withLocked(true), Placement.HOME);
                started.add(p.pid());
                lines.await(l -> l.equals("ready " + (mib << 20)), "Ballast " + mib + " to start");
                List<Long> nanos = new ArrayList<>();
                int[] retries = new int[1];
                for (int m = 0; m < moves; m++) {
                    nanos.add(timedMove(p.pid(), m, retries));
                }
                processes.signal(p.pid(), Signal.SIGKILL);
                processes.onExit(p.pid()).get(WAIT_MINUTES, TimeUnit.MINUTES);
                List<Long> kept = new ArrayList<>(nanos.subList(2, nanos.size())); // the first moves warm up
                progress.printf(Locale.ROOT, "# migration %d MiB: %s ms%n", mib, nanos.stream().map(n -> n / 1_000_000)
                        .toList());
                line(out, "migration-" + mib + "MiB-median", percentile(kept, 0.5) / 1e6, "ms", "freeze to running on"
                        + " the target, " + kept.size() + " moves vnode " + nanokernel.vnodeId() + " <-> " + o.vnode());
                line(out, "migration-" + mib + "MiB-p99", percentile(kept, 0.99) / 1e6, "ms", retries[0] == 0 ? null
                        : retries[0] + " moves refused at first (the copy that left not yet gone, or the tables not yet showing the last move) and timed again");
            }
        }

        void deputy(StringBuilder out) throws Exception {
            int n = Math.max(400, (int) Math.round(3000 * o.scale()));
            Stamped away = new Stamped();
            ProcessInfo p = processes.spawn(spec(Stamps.class, Integer.toString(n), "away").withStdout(away)
                    .withName("stamps-away").withLocked(true), Placement.HOME);
            started.add(p.pid());
            awaitMigratable(p.pid());
            processes.migrate(p.pid(), Placement.on(o.vnode()));
            long[] deputy = away.await(p.pid());
            Stamped home = new Stamped();
            ProcessInfo q = processes.spawn(spec(Stamps.class, Integer.toString(n), "home").withStdout(home)
                    .withName("stamps-home").withLocked(true), Placement.HOME);
            started.add(q.pid());
            long[] here = home.await(q.pid());
            line(out, "deputy-write-median", deputy[0] / 1e3, "us", "a 64-byte line written on vnode " + o.vnode()
                    + " by a process migrated there, timed at its home's stream; " + (n - 100) + " lines");
            line(out, "deputy-write-p99", deputy[1] / 1e3, "us", null);
            line(out, "home-write-median", here[0] / 1e3, "us", "the same write by the same program at home");
            line(out, "home-write-p99", here[1] / 1e3, "us", null);
        }

        /**
         * One move to the other vnode (from home to {@code --vnode}, or back), timed from the call
         * to its return. A move right after the last one can be refused while the vnode it left
         * still ends its old copy ("not migratable": that copy handed its state over), or while
         * the tables still show it where it was ("already runs on"): such a refusal moves
         * nothing, so the move is tried again, from where it is, up to a second, and only the
         * move that happens is timed.
         */
        long timedMove(long pid, int m, int[] retries) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
            while (true) {
                int at = processes.info(pid).map(ProcessInfo::currentVnode).orElse(nanokernel.vnodeId());
                Placement to = at == nanokernel.vnodeId() ? Placement.on(o.vnode()) : Placement.HOME;
                long t0 = System.nanoTime();
                try {
                    processes.migrate(pid, to);
                    return System.nanoTime() - t0;
                } catch (IllegalArgumentException e) {
                    String why = String.valueOf(e.getMessage());
                    if (!(why.contains("not migratable") || why.contains("already")) || System.nanoTime() > deadline) {
                        throw new IllegalStateException("move " + (m + 1) + " of pid " + pid + " to " + to + ": "
                                + e.getMessage(), e);
                    }
                    retries[0]++;
                    Thread.sleep(5);
                }
            }
        }

        /** Waits until the process has declared its Migratable (its cantmove is empty). */
        void awaitMigratable(long pid) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
            while (!processes.info(pid).map(i -> i.cantMove().isEmpty()).orElse(false)) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("pid " + pid + " did not declare a Migratable within a minute: "
                            + processes.info(pid));
                }
                Thread.sleep(5);
            }
        }

        /** Runs a bench class by {@code taskset -c CPUS java -cp DIR}; its stdout. */
        String host(String cpus, Class<?> main, String... args) throws Exception {
            return host(cpus, List.of("-Xmx256m"), main, args);
        }

        String host(String cpus, List<String> jvm, Class<?> main, String... args) throws Exception {
            List<String> command = new ArrayList<>(List.of("taskset", "-c", cpus,
                    Path.of(System.getProperty("java.home"), "bin", "java").toString()));
            command.addAll(jvm);
            command.addAll(List.of("-cp", dir.toString(), main.getName()));
            command.addAll(List.of(args));
            Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            try {
                p.getOutputStream().close();
                byte[] out = p.getInputStream().readAllBytes();
                if (!p.waitFor(WAIT_MINUTES, TimeUnit.MINUTES) || p.exitValue() != 0) {
                    throw new IllegalStateException(String.join(" ", command) + " failed (" + (p.isAlive() ? "still running"
                            : "exit " + p.exitValue()) + ")");
                }
                return new String(out, StandardCharsets.UTF_8);
            } finally {
                p.destroyForcibly();
            }
        }

        ProcessSpec spec(Class<?> main, String... args) {
            return ProcessSpec.of(main.getName(), dir).withArgs(args).withStderr(System.err);
        }
    }

    /** A process's stdout, line by line, for the bench to wait on. */
    private static final class Lines extends OutputStream {
        private final ByteArrayOutputStream line = new ByteArrayOutputStream();
        private final List<String> lines = new ArrayList<>();

        @Override
        public synchronized void write(int b) {
            if (b == '\n') {
                lines.add(line.toString(StandardCharsets.UTF_8));
                line.reset();
                notifyAll();
            } else {
                line.write(b);
            }
        }

        synchronized void await(java.util.function.Predicate<String> wanted, String what) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
            while (lines.stream().noneMatch(wanted)) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new IllegalStateException("waited a minute for " + what + "; it printed " + lines);
                }
                TimeUnit.NANOSECONDS.timedWait(this, left);
            }
        }
    }

    /** Stamps' lines: each one's delay from its write (the stamp in it) to its arrival here. */
    private final class Stamped extends OutputStream {
        private static final int WARM_UP = 100;
        private final byte[] line = new byte[128];
        private int length;
        private final List<Long> delays = new ArrayList<>();
        private final LongSupplier clock = System::nanoTime;

        @Override
        public synchronized void write(int b) {
            long now = clock.getAsLong();
            if (b != '\n') {
                if (length < line.length) {
                    line[length++] = (byte) b;
                }
                return;
            }
            String s = new String(line, 0, length, StandardCharsets.US_ASCII);
            length = 0;
            if (s.startsWith("t ")) {
                delays.add(now - Long.parseLong(s.substring(2, s.indexOf(' ', 2))));
            }
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            for (int i = 0; i < len; i++) {
                write(b[off + i]);
            }
        }

        /** {median, p99} of the delays once the process has ended, the first lines left out. */
        long[] await(long pid) throws Exception {
            ExitStatus s = processes.onExit(pid).get(WAIT_MINUTES, TimeUnit.MINUTES);
            List<Long> kept;
            synchronized (this) {
                if (s.code() != 0 || delays.size() <= WARM_UP) {
                    throw new IllegalStateException("Stamps (pid " + pid + ") ended " + s + " with " + delays.size()
                            + " stamped lines");
                }
                kept = new ArrayList<>(delays.subList(WARM_UP, delays.size()));
            }
            return new long[] {percentile(kept, 0.5), percentile(kept, 0.99)};
        }
    }

    /** One figure line: {@code mosix NAME VALUE UNIT}, then what it is beside, in parentheses. */
    static void line(StringBuilder out, String name, double value, String unit, String note) {
        out.append(String.format(Locale.ROOT, value >= 100 ? "mosix %s %.1f %s" : "mosix %s %.3f %s", name, value, unit));
        if (note != null) {
            out.append("   (").append(note).append(')');
        }
        out.append('\n');
    }

    static long[] parseWork(String out, String w) {
        String[] f = out.strip().split(" ");
        if (f.length != 4 || !f[0].equals(w)) {
            throw new IllegalStateException("Work " + w + " printed '" + out.strip() + "'");
        }
        return new long[] {Long.parseLong(f[1]), Long.parseLong(f[2]), Long.parseLong(f[3])};
    }

    /** About a second of work each on an idle core (as RewriteBench has them). */
    static int reps(String w) {
        return switch (w) {
            case "sort" -> 20;
            case "matmul" -> 300;
            default -> 50;
        };
    }

    static double median(List<Double> v) {
        List<Double> s = new ArrayList<>(v);
        s.sort(null);
        return s.get(s.size() / 2);
    }

    static long percentile(List<Long> v, double p) {
        List<Long> s = new ArrayList<>(v);
        s.sort(null);
        return s.get(Math.min(s.size() - 1, Math.max(0, (int) Math.ceil(s.size() * p) - 1)));
    }

    /** The option that selects the collector this JVM runs. */
    static String collector() {
        String names = java.lang.management.ManagementFactory.getGarbageCollectorMXBeans().stream()
                .map(java.lang.management.GarbageCollectorMXBean::getName).reduce("", String::concat);
        if (names.contains("G1")) {
            return "-XX:+UseG1GC";
        } else if (names.contains("ZGC")) {
            return "-XX:+UseZGC";
        } else if (names.contains("Shenandoah")) {
            return "-XX:+UseShenandoahGC";
        } else if (names.contains("PS ")) {
            return "-XX:+UseParallelGC";
        }
        return "-XX:+UseSerialGC";
    }

    /** The CPUs process {@code pid} may run on (its affinity, as taskset set it): "0", "1", "0-3". */
    static String cpus(long pid) throws IOException {
        for (String l : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (l.startsWith("Cpus_allowed_list:")) {
                return l.substring(l.indexOf(':') + 1).strip();
            }
        }
        throw new IOException("/proc/" + pid + "/status has no Cpus_allowed_list");
    }

    /** The bench's programs as class files under {@code dir}, for process loaders and {@code java -cp}. */
    static void writePrograms(Path dir) throws IOException {
        for (Class<?> c : PROGRAMS) {
            String resource = c.getName().replace('.', '/') + ".class";
            try (InputStream in = MosixBench.class.getClassLoader().getResourceAsStream(resource)) {
                if (in == null) {
                    throw new IOException("the bundle has no " + resource);
                }
                Path file = dir.resolve(resource);
                Files.createDirectories(file.getParent());
                Files.write(file, in.readAllBytes());
            }
        }
    }

    static void delete(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
