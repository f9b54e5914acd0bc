package org.smpcluster.mosix.proc;

import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.ref.WeakReference;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.smpcluster.api.process.ExitStatus;
import org.smpcluster.api.process.Migratable;
import org.smpcluster.api.process.ProcessInfo;
import org.smpcluster.api.process.ProcessSpec;
import org.smpcluster.api.process.ProcessState;
import org.smpcluster.api.process.Signal;
import org.smpcluster.api.process.ThisProcess;
import org.smpcluster.mosix.rt.Hooks;
import org.smpcluster.mosix.rt.ProcessControl;
import org.smpcluster.mosix.rt.ProcessDeath;

/**
 * One process: its loader, thread group, main thread, stdio, environment, signal handlers and
 * how it ends.
 *
 * <p><b>How a process ends.</b> Java's rule: when its last non-daemon thread ends (status 0, or 1
 * when main threw), or when it calls {@code System.exit}/{@code Runtime.exit} (shutdown hooks
 * run) or {@code Runtime.halt} (none run), or by a signal (SIGKILL: at once, no hooks; SIGINT,
 * SIGTERM, SIGHUP, SIGUSR1/2 without a handler: hooks run, status 128+N). Ending is two steps:
 * the status is decided once ({@link #begin}), then every thread is told to unwind
 * ({@link #unwind}: the KILL bit the polls see, an unpark for parked ones, an interrupt for
 * sleeping and waiting ones). The reaper, a thread outside the process, waits for the threads to
 * be gone, then closes the loader and completes {@link #onExit()}; nothing of the vnode keeps the
 * loader after that.
 */
final class VProcess implements ProcessControl {

    /** Java waits for shutdown hooks forever; a process waits this long, then unwinds them too. */
    static final long HOOKS_NANOS = TimeUnit.SECONDS.toNanos(10);
    /** How long the reaper waits for threads that do not reach a poll (blocked in native code, say). */
    static final long UNWIND_NANOS = TimeUnit.SECONDS.toNanos(2);

    private final ProcessTable table;
    private final long pid;
    /** Its home: this vnode, or the vnode whose deputy serves it when it was started here from there. */
    private final int home;
    private final long parent;
    private final String name;
    private final long startedMillis;
    private final ProcessLoader loader;
    private final ProcessThreadGroup group;
    private final Thread main;
    private final MethodHandle raise;
    private final MethodHandle clear;
    private final MethodHandle pendingBits;
    private final InputStream stdin;
    private final PrintStream stdout;
    private final PrintStream stderr;
    private final Map<String, String> environment;
    private final String workingDirectory;
    private final ProcessDeath death;
    private final ThreadUsage usage = new ThreadUsage();
    private final CompletableFuture<ExitStatus> exit = new CompletableFuture<>();
    private final Set<Thread> parked = ConcurrentHashMap.newKeySet();

    // guarded by this
    private ProcessState state = ProcessState.RUNNING;
    private ExitStatus status;
    private boolean hooksStarted;
    private final Set<Thread> shutdownHooks = new LinkedHashSet<>();
    private final Map<Signal, Runnable> handlers = new EnumMap<>(Signal.class);
    private final EnumSet<Signal> heldWhileStopped = EnumSet.noneOf(Signal.class);
    private Migratable migratable;
    private byte[] restoreState; // a moved process's state, handed to its Migratable once it declares one
    private ProcessSpec spec;

    /** The kernel thread that checkpoints a frozen process: its polls in the program's checkpoint() pass. */
    private volatile Thread freezer;
    /** Set when the process moved away: its end here is no end, its exit is its successor's. */
    private volatile CompletableFuture<ExitStatus> successor;
    private final long cpuBase;
    private final long allocBase;
    /** When this copy began here, and whether it moved here (the balancer lets a moved process stay put a while). */
    private final long hereSinceNanos = System.nanoTime();
    private final boolean arrived;

    private volatile boolean dying;
    private volatile Thread reaper;
    private volatile Thread.UncaughtExceptionHandler defaultHandler;
    private volatile Throwable mainThrown;

    /**
     * Loads the program (nothing of it runs yet).
     *
     * @throws IllegalArgumentException naming what is wrong; nothing is left open then
     */
    VProcess(ProcessTable table, long pid, ProcessSpec spec) {
        this(table, pid, table.vnode(), spec);
    }

    VProcess(ProcessTable table, long pid, int home, ProcessSpec spec) {
        this(table, pid, home, spec, null);
    }

    /** @param resume what a process that moved here goes on from; null for a new one */
    VProcess(ProcessTable table, long pid, int home, ProcessSpec spec, Resume resume) {
        this.table = table;
        this.pid = pid;
        this.home = home;
        this.parent = spec.parent();
        this.startedMillis = resume != null ? resume.startedMillis() : System.currentTimeMillis();
        this.cpuBase = resume != null ? resume.cpuNanos() : 0;
        this.allocBase = resume != null ? resume.allocatedBytes() : 0;
        this.restoreState = resume != null ? resume.state() : null;
        this.arrived = resume != null;
        if (spec.workingDirectory() != null && !Files.isDirectory(spec.workingDirectory())) {
            throw new IllegalArgumentException("workingDirectory=" + spec.workingDirectory() + " is not a directory");
        }
        ProcessLoader l = new ProcessLoader(spec.classPath(), VProcess.class.getClassLoader());
        try {
            String mainClass = spec.mainClass() != null ? spec.mainClass() : l.manifestMainClass();
            if (mainClass == null || mainClass.isBlank()) {
                throw new IllegalArgumentException("no main class: name one, or run a jar whose manifest has a"
                        + " Main-Class (classpath=" + spec.classPath() + ")");
            }
            Runnable body = mainBody(l, mainClass.strip(), spec);
            this.name = spec.name() != null ? spec.name() : mainClass.substring(mainClass.lastIndexOf('.') + 1);
            this.spec = spec.withName(name).withMainClass(mainClass.strip());
            Class<?> hooks = Class.forName(Rewriter.HOOKS_NAME, true, l);
            MethodHandles.Lookup lookup = MethodHandles.publicLookup();
            MethodType ofInt = MethodType.methodType(void.class, int.class);
            this.raise = lookup.findStatic(hooks, "raise", ofInt);
            this.clear = lookup.findStatic(hooks, "clear", ofInt);
            this.pendingBits = lookup.findStatic(hooks, "pendingBits", MethodType.methodType(int.class));
            this.stdin = spec.stdin() != null ? Unclosable.of(spec.stdin()) : InputStream.nullInputStream();
            this.stdout = print(spec.stdout(), System.out);
            this.stderr = print(spec.stderr(), System.err);
            this.environment = spec.environment() != null ? spec.environment() : Map.copyOf(System.getenv());
            this.workingDirectory = (spec.workingDirectory() != null ? spec.workingDirectory()
                    : Path.of(System.getProperty("user.dir"))).toAbsolutePath().toString();
            this.death = new ProcessDeath(pid);
            lookup.findStatic(hooks, "bind", MethodType.methodType(void.class, ProcessControl.class)).invoke(this);
            this.group = new ProcessThreadGroup(table.processGroups(), "pid " + pid, this);
            this.main = new Thread(group, body, name);
            main.setDaemon(false);
            main.setContextClassLoader(l);
        } catch (IllegalArgumentException e) {
            l.close();
            throw e;
        } catch (Throwable e) {
            l.close();
            throw new IllegalArgumentException("cannot start " + spec.classPath() + ": " + e, e);
        }
        this.loader = l;
    }

    private static PrintStream print(OutputStream given, PrintStream vnode) {
        return new PrintStream(Unclosable.of(given != null ? given : vnode), true, StandardCharsets.UTF_8);
    }

    /** Finds main as {@code java} does (JEP 512: static or instance, with or without args). */
    private Runnable mainBody(ProcessLoader l, String mainClass, ProcessSpec spec) {
        Class<?> c;
        try {
            c = Class.forName(mainClass, false, l);
        } catch (ClassNotFoundException e) {
            throw new IllegalArgumentException("class=" + mainClass + " is not on classpath=" + spec.classPath(), e);
        } catch (LinkageError e) {
            throw new IllegalArgumentException("class=" + mainClass + " cannot be loaded: " + e, e);
        }
        Method m = findMain(c, String[].class);
        boolean withArgs = m != null;
        if (m == null) {
            m = findMain(c);
        }
        if (m == null) {
            throw new IllegalArgumentException("class=" + mainClass + " has no main method (allowed: static or"
                    + " instance main(String[]) or main())");
        }
        Constructor<?> ctor = null;
        if (!Modifier.isStatic(m.getModifiers())) {
            try {
                ctor = c.getDeclaredConstructor();
                ctor.setAccessible(true);
            } catch (NoSuchMethodException e) {
                throw new IllegalArgumentException("class=" + mainClass + " has an instance main but no constructor"
                        + " without arguments", e);
            }
        }
        m.setAccessible(true);
        Method method = m;
        Constructor<?> make = ctor;
        Object[] args = withArgs ? new Object[] {spec.args().toArray(String[]::new)} : new Object[0];
        return () -> {
            try {
                method.invoke(make == null ? null : make.newInstance(), args);
            } catch (InvocationTargetException e) {
                throw sneaky(e.getCause());
            } catch (ReflectiveOperationException e) {
                throw sneaky(e);
            } finally {
                usage.recordCurrent();
            }
        };
    }

    private static Method findMain(Class<?> c, Class<?>... params) {
        for (Class<?> k = c; k != null; k = k.getSuperclass()) {
            try {
                Method m = k.getDeclaredMethod("main", params);
                if (!Modifier.isPrivate(m.getModifiers()) && m.getReturnType() == void.class) {
                    return m;
                }
            } catch (NoSuchMethodException e) {
                // not declared here: look in the superclass, as the launcher does
            }
        }
        return null;
    }

    @SuppressWarnings("unchecked")
    private static <T extends Throwable> RuntimeException sneaky(Throwable t) throws T {
        throw (T) t;
    }

    void start() {
        main.start();
        Thread r = new Thread(table.processGroups().getParent(), this::reap, "mosix reaper " + pid);
        r.setDaemon(true);
        reaper = r;
        r.start();
    }

    // ---- for the table

    CompletableFuture<ExitStatus> onExit() {
        return exit;
    }

    ThreadUsage usage() {
        return usage;
    }

    Thread mainThread() {
        return main;
    }

    void mainThrew(Throwable t) {
        mainThrown = t;
    }

    WeakReference<ClassLoader> loaderReference() {
        return new WeakReference<>(loader);
    }

    ProcessInfo info() {
        sample();
        ProcessState s;
        ExitStatus x;
        String cantMove;
        synchronized (this) {
            s = state;
            x = s == ProcessState.EXITED ? status : null;
            cantMove = migratable != null ? "" : "not migratable";
        }
        return new ProcessInfo(pid, parent, name, home, table.vnode(), s, cpuBase + usage.cpuNanos(),
                allocBase + usage.allocatedBytes(), startedMillis, Optional.ofNullable(x), cantMove);
    }

    void sample() {
        Thread[] live = threads();
        usage.sample(live, live.length);
    }

    private Thread[] threads() {
        Thread[] a = new Thread[group.activeCount() + 8];
        int n;
        while ((n = group.enumerate(a, true)) == a.length) {
            a = new Thread[a.length * 2];
        }
        return java.util.Arrays.copyOf(a, n);
    }

    void signal(Signal s) {
        switch (s) {
            case SIGKILL -> {
                synchronized (this) {
                    if (state == ProcessState.EXITED) {
                        return;
                    }
                    if (!dying) {
                        // Shutdown hooks of an exit may be running: the kill is what ends it now.
                        status = ExitStatus.killed(Signal.SIGKILL);
                        state = ProcessState.EXITING;
                    }
                }
                unwind();
            }
            case SIGSTOP -> {
                synchronized (this) {
                    if (state != ProcessState.RUNNING) {
                        return;
                    }
                    state = ProcessState.STOPPED;
                    bits(raise, Hooks.STOP);
                }
            }
            case SIGCONT -> {
                Set<Signal> held;
                Runnable h;
                synchronized (this) {
                    if (state == ProcessState.STOPPED) {
                        state = ProcessState.RUNNING;
                        bits(clear, Hooks.STOP);
                        parked.forEach(LockSupport::unpark);
                    }
                    held = EnumSet.copyOf(heldWhileStopped);
                    heldWhileStopped.clear();
                    h = handlers.get(Signal.SIGCONT);
                }
                if (h != null) {
                    runHandler(Signal.SIGCONT, h);
                }
                held.forEach(this::signal);
            }
            default -> {
                Runnable h;
                synchronized (this) {
                    if (state == ProcessState.EXITED || dying) {
                        return;
                    }
                    if (state == ProcessState.STOPPED) {
                        // Linux keeps it pending until the process continues.
                        heldWhileStopped.add(s);
                        return;
                    }
                    h = handlers.get(s);
                }
                if (h != null) {
                    runHandler(s, h);
                } else {
                    // The default action: end as Java does on SIGTERM, hooks first; not on the
                    // caller's thread, which must not wait for the program's hooks.
                    Thread t = new Thread(() -> {
                        if (begin(ExitStatus.killed(s))) {
                            runShutdownHooks();
                            unwind();
                        }
                    }, "mosix " + s + " " + pid);
                    t.setDaemon(true);
                    t.start();
                }
            }
        }
    }

    private void runHandler(Signal s, Runnable h) {
        Thread t = new Thread(group, h, s.name() + " handler");
        t.setDaemon(false);
        t.setContextClassLoader(loader);
        t.start();
    }

    private void bits(MethodHandle mh, int bits) {
        try {
            mh.invokeExact(bits);
        } catch (Throwable e) {
            throw new IllegalStateException("pid=" + pid + ": the process's hooks refused bits=" + bits, e);
        }
    }

    private int pendingBits() {
        try {
            return (int) pendingBits.invokeExact();
        } catch (Throwable e) {
            throw new IllegalStateException("pid=" + pid + ": cannot read the process's pending bits", e);
        }
    }

    /** Decides the status, once; false when the process is already ending. */
    private synchronized boolean begin(ExitStatus s) {
        if (status != null) {
            return false;
        }
        status = s;
        state = ProcessState.EXITING;
        return true;
    }

    /** Tells every thread to unwind: the KILL bit for polls, unpark for parked ones, interrupt for blocked ones. */
    private void unwind() {
        dying = true;
        bits(raise, Hooks.KILL);
        parked.forEach(LockSupport::unpark);
        Thread r = reaper;
        if (r != null && r != Thread.currentThread()) {
            r.interrupt(); // stop waiting for Java's end: bound the wait for the threads instead
        }
        Thread self = Thread.currentThread();
        for (Thread t : threads()) {
            if (t != self) {
                t.interrupt();
            }
        }
    }

    private void runShutdownHooks() {
        List<Thread> hooks;
        synchronized (this) {
            hooksStarted = true;
            hooks = new ArrayList<>(shutdownHooks);
        }
        for (Thread h : hooks) {
            h.start();
        }
        long deadline = System.nanoTime() + HOOKS_NANOS;
        try {
            for (Thread h : hooks) {
                long left = deadline - System.nanoTime();
                if (left <= 0 || !h.join(java.time.Duration.ofNanos(left))) {
                    break;
                }
            }
        } catch (InterruptedException e) {
            // A SIGKILL while hooks run interrupts the thread running them: stop waiting, unwind.
            Thread.currentThread().interrupt();
        }
    }

    /** The reaper: waits for the program to end by Java's rule, ends it, waits for its threads, cleans up. */
    private void reap() {
        // Java's rule, until something else ends the process first (unwind() interrupts us).
        Thread next = main;
        while (!dying && next != null) {
            try {
                next.join();
            } catch (InterruptedException e) {
                // unwind(): the process is being ended; the loop sees dying
            }
            next = null;
            for (Thread t : threads()) {
                if (!t.isDaemon() && t.isAlive()) {
                    next = t;
                    break;
                }
            }
        }
        Thread.interrupted();
        Throwable thrown = mainThrown;
        if (begin(thrown == null ? ExitStatus.exited(0) : new ExitStatus(1, "uncaught " + thrown))) {
            runShutdownHooks();
        }
        unwind();
        long deadline = System.nanoTime() + UNWIND_NANOS;
        Thread[] rest;
        while ((rest = threads()).length > 0 && System.nanoTime() < deadline) {
            joinUninterruptibly(rest[0], deadline - System.nanoTime());
        }
        if (rest.length > 0) {
            // Without Thread.stop a thread that never reaches a poll cannot be ended; say so.
            synchronized (this) {
                status = new ExitStatus(status.code(), status.why() + "; " + rest.length
                        + " thread(s) blocked outside the program did not end");
            }
            stderr.println("mosix: pid " + pid + ": " + rest.length + " thread(s) did not reach a poll within "
                    + TimeUnit.NANOSECONDS.toMillis(UNWIND_NANOS) + " ms of the end: " + java.util.Arrays.toString(rest));
        }
        stdout.flush();
        stderr.flush();
        sample();
        ExitStatus s;
        synchronized (this) {
            state = ProcessState.EXITED;
            s = status;
        }
        loader.close();
        CompletableFuture<ExitStatus> after = successor;
        if (after != null) {
            // It goes on elsewhere: this end is not its end; whoever waits here waits for that one.
            table.moved(this);
            CompletableFuture<ExitStatus> mine = exit; // not this: a waiter must not keep the old copy's heap
            after.whenComplete((st, failure) -> mine.complete(st != null ? st
                    : new ExitStatus(255, "lost after it moved: " + failure)));
            return;
        }
        table.ended(this, info());
        exit.complete(s);
    }

    /** Its spec as it runs (name and main class filled in): what a checkpoint of it records. */
    synchronized ProcessSpec spec() {
        return spec;
    }

    /** An OutOfMemoryError no code of the program caught: it ends the process, not the vnode. */
    void outOfMemory(Thread t, Throwable e) {
        OomKiller.releaseReserve(); // the kill itself needs a little heap: the reserve is for that
        kill(new ExitStatus(137, "killed by SIGKILL: out of memory (" + e + " in thread \"" + t.getName() + "\")"));
    }

    /** Bytes its threads allocated, as last sampled (no new sample: the OOM killer must not allocate). */
    long allocatedSoFar() {
        return allocBase + usage.allocatedBytes();
    }

    /**
     * SIGKILL with a status that says why (the OOM killer's): no hooks, at once; nothing when it
     * is ended already.
     */
    void kill(ExitStatus why) {
        synchronized (this) {
            if (state == ProcessState.EXITED) {
                return;
            }
            if (!dying) {
                status = why;
                state = ProcessState.EXITING;
            }
        }
        unwind();
    }

    /** Whether its spec says never to move it automatically ({@code mosrun -L}). */
    synchronized boolean locked() {
        return spec.locked();
    }

    boolean arrived() {
        return arrived;
    }

    long hereSinceNanos() {
        return hereSinceNanos;
    }

    /** Whether it moved away (its threads here end, it does not). */
    boolean moved() {
        return successor != null;
    }

    // ---- migration: freeze at a safe point, checkpoint, then thaw or vanish

    /**
     * Stops every thread of the process at a safe point (the FREEZE bit of the poll) and takes its
     * state. The process stays frozen until {@link #thaw()} or {@link #vanish}.
     *
     * @throws IllegalArgumentException why it cannot move, with the process running on as before
     */
    Frozen freeze(long nanos) {
        Migratable m;
        synchronized (this) {
            if (state != ProcessState.RUNNING || dying) {
                throw new IllegalArgumentException("pid=" + pid + " is " + state + ": only a running process moves");
            }
            if (migratable == null) {
                throw new IllegalArgumentException("pid=" + pid + " cannot move: cantmove=not migratable (it declares"
                        + " no Migratable through ThisProcess.migratable)");
            }
            if (freezer != null) {
                throw new IllegalArgumentException("pid=" + pid + " is moving already");
            }
            m = migratable;
            freezer = Thread.currentThread();
            bits(raise, Hooks.FREEZE);
        }
        long deadline = System.nanoTime() + nanos;
        // Frozen once each of its threads is in pending(): it runs no program code after that.
        while (!allParked()) {
            if (System.nanoTime() - deadline > 0) {
                thaw();
                throw new IllegalArgumentException("pid=" + pid + " cannot move: cantmove=threads (not every thread"
                        + " reached a safe point within " + TimeUnit.NANOSECONDS.toMillis(nanos) + " ms: blocked or"
                        + " sleeping outside the program's code)");
            }
            LockSupport.parkNanos(100_000); // polling a condition with a deadline: the threads are about to park
        }
        byte[] state;
        try {
            state = m.checkpoint();
        } catch (RuntimeException | Error e) {
            thaw();
            throw new IllegalArgumentException("pid=" + pid + " cannot move: its checkpoint() threw " + e, e);
        }
        if (state == null) {
            thaw();
            throw new IllegalArgumentException("pid=" + pid + " cannot move: its checkpoint() returned null");
        }
        sample();
        return new Frozen(pid, home, spec.withEnvironment(environment).withWorkingDirectory(Path.of(workingDirectory)),
                new Resume(state, cpuBase + usage.cpuNanos(),
                allocBase + usage.allocatedBytes(), startedMillis));
    }

    private boolean allParked() {
        Thread me = Thread.currentThread();
        for (Thread t : threads()) {
            if (t != me && t.isAlive() && !parked.contains(t)) {
                return false;
            }
        }
        return true;
    }

    /** The move failed: the process goes on here. */
    void thaw() {
        synchronized (this) {
            freezer = null;
            bits(clear, Hooks.FREEZE);
        }
        parked.forEach(LockSupport::unpark);
    }

    /** The move succeeded: its threads and loader end here, without an exit; its exit is {@code next}'s. */
    void vanish(CompletableFuture<ExitStatus> next) {
        synchronized (this) {
            successor = next;
            freezer = null;
            migratable = null; // its state went with it: nothing here may keep it reachable
            restoreState = null;
            if (status == null) {
                status = new ExitStatus(0, "moved");
                state = ProcessState.EXITING;
            }
        }
        unwind();
    }

    private static void joinUninterruptibly(Thread t, long nanos) {
        boolean interrupted = false;
        long deadline = System.nanoTime() + nanos;
        while (t.isAlive()) {
            try {
                long left = nanos == Long.MAX_VALUE ? Long.MAX_VALUE : deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                if (left == Long.MAX_VALUE) {
                    t.join();
                } else {
                    t.join(java.time.Duration.ofNanos(left));
                }
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    // ---- ProcessControl: what the process's Hooks copy calls

    @Override
    public void pending() {
        boolean interrupted = false;
        Thread self = Thread.currentThread();
        try {
            while (true) {
                int bits = pendingBits();
                if ((bits & Hooks.KILL) != 0) {
                    throw death;
                }
                if (self == freezer) {
                    return; // the kernel's thread running the program's checkpoint()
                }
                if ((bits & (Hooks.STOP | Hooks.FREEZE)) == 0) {
                    return;
                }
                // In the set before the second (volatile) read: a SIGCONT that clears the bit after
                // it reads the set after, and unparks this thread.
                parked.add(self);
                if (pendingBits() == bits) {
                    LockSupport.park(this);
                }
                parked.remove(self);
                // A stopped thread stays stopped when interrupted; it sees the interrupt once it runs.
                interrupted |= Thread.interrupted();
            }
        } finally {
            if (interrupted) {
                self.interrupt();
            }
        }
    }

    @Override
    public Error exit(int code, boolean hooks) {
        if (begin(ExitStatus.exited(code))) {
            if (hooks) {
                runShutdownHooks();
            }
            unwind();
        }
        return death;
    }

    @Override
    public Error death() {
        return death;
    }

    @Override
    public boolean dying() {
        return dying;
    }

    @Override
    public InputStream stdin() {
        return stdin;
    }

    @Override
    public PrintStream stdout() {
        return stdout;
    }

    @Override
    public PrintStream stderr() {
        return stderr;
    }

    @Override
    public Map<String, String> environment() {
        return environment;
    }

    @Override
    public String property(String key, String otherwise) {
        if ("user.dir".equals(key)) {
            return workingDirectory;
        }
        return System.getProperty(key, otherwise);
    }

    @Override
    public synchronized void addShutdownHook(Thread hook) {
        if (hooksStarted) {
            throw new IllegalStateException("Shutdown in progress");
        }
        if (hook.isAlive()) {
            throw new IllegalArgumentException("Hook already running");
        }
        if (!shutdownHooks.add(hook)) {
            throw new IllegalArgumentException("Hook previously registered");
        }
    }

    @Override
    public synchronized boolean removeShutdownHook(Thread hook) {
        if (hooksStarted) {
            throw new IllegalStateException("Shutdown in progress");
        }
        return shutdownHooks.remove(hook);
    }

    @Override
    public void defaultUncaughtExceptionHandler(Thread.UncaughtExceptionHandler handler) {
        defaultHandler = handler;
    }

    @Override
    public Thread.UncaughtExceptionHandler defaultUncaughtExceptionHandler() {
        return defaultHandler;
    }

    @Override
    public long pid() {
        return pid;
    }

    @Override
    public synchronized boolean handle(Signal signal, Runnable handler) {
        ThisProcess.checkCatchable(signal);
        if (handler == null) {
            handlers.remove(signal);
        } else {
            handlers.put(signal, handler);
        }
        return true;
    }

    @Override
    public boolean migratable(Migratable state) {
        java.util.Objects.requireNonNull(state, "state");
        byte[] restore;
        synchronized (this) {
            this.migratable = state;
            restore = restoreState;
            restoreState = null;
        }
        if (restore != null) {
            // A process that moved here: its fresh instance goes on from the state it handed over.
            state.restore(restore);
        }
        return true;
    }
}
