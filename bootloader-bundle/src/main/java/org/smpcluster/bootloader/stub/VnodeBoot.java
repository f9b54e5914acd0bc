package org.smpcluster.bootloader.stub;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;

/**
 * The boot stub of a vnode process (the last of the paper's KMB steps happens here): maps the
 * vnode's memory region, checks that it holds a whole kernel image whose digest matches, takes
 * the boot parameters from it, and starts the OSGi framework and the image's bundles from the
 * image bytes in the region. Nothing is read from a file but the physical memory itself.
 *
 * <p>Plain JDK code, started as {@code java -cp STUB org.smpcluster.bootloader.stub.VnodeBoot
 * PHYSMEM OFFSET SIZE}; the framework's classes come from the image through
 * {@link InMemoryJarLoader}, so they are reached by reflection.
 */
public final class VnodeBoot {

    private static boolean VERBOSE;
    /** "vnode N", or "standby (pid P)" until a standby takes over. */
    private static volatile String label = "vnode ?";

    /** The framework cache is this user's alone, as the bootloader's whole directory is. */
    private static final java.nio.file.attribute.FileAttribute<?> PRIVATE =
            java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                    java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));

    /** Set when the root is gone: the shutdown then does not wait long for a framework that waits for it. */
    private static volatile boolean rootGone;

    /**
     * How long the shutdown waits for the framework to stop once the root is gone: the vnode
     * must end within 3.5 s of its root.
     */
    private static final long ORPHAN_STOP_MILLIS = 2_000;

    /** The boot parameters that are the same for every vnode of a cluster. */
    private static final java.util.Set<String> CLUSTER_WIDE = java.util.Set.of("smpcluster.cluster",
            "smpcluster.physmem.dir", "smpcluster.boot.verbose", "smpcluster.image.sha256");

    private VnodeBoot() {
    }

    public static void main(String[] args) {
        try {
            boot(args);
        } catch (Throwable t) {
            // The framework's threads are not daemons: without an exit a failed boot would linger.
            System.err.println("vnode boot failed:");
            t.printStackTrace();
            System.exit(1);
        }
    }

    /** What the stub read from a region. */
    private record Loaded(String params, byte[] image, String digest, long crc) {
    }

    private static Loaded load(Path physmem, long offset, long size) throws IOException {
        try (Arena arena = Arena.ofConfined();
                FileChannel channel = FileChannel.open(physmem, StandardOpenOption.READ)) {
            MemorySegment region = channel.map(FileChannel.MapMode.READ_ONLY, offset, size, arena);
            String problem = ImageDescriptor.check(region);
            if (problem != null) {
                fail(problem);
            }
            return new Loaded(ImageDescriptor.params(region), ImageDescriptor.image(region),
                    ImageDescriptor.digest(region), ImageDescriptor.crc(region));
        }
    }

    private static void boot(String[] args) throws Exception {
        boolean standby = args.length == 4 && args[3].equals("--standby");
        if (args.length != 3 && !standby) {
            System.err.println("usage: VnodeBoot PHYSMEM OFFSET SIZE [--standby]  (started by the smpcluster bootloader)");
            System.exit(2);
        }
        long start = System.nanoTime();
        Path physmem = Path.of(args[0]);
        Loaded loaded = load(physmem, Long.parseLong(args[1]), Long.parseLong(args[2]));
        String params = loaded.params();
        byte[] image = loaded.image();
        String digest = loaded.digest();
        long crc = loaded.crc();
        VERBOSE = params.contains("smpcluster.boot.verbose=true");
        // Who this is, for the boot timeline: the vnode of the region's parameters, or a standby.
        java.util.regex.Matcher id = java.util.regex.Pattern.compile("(?m)^smpcluster\\.vnode=(\\d+)$")
                .matcher(params);
        label = standby ? "standby (pid " + ProcessHandle.current().pid() + ")"
                : id.find() ? "vnode " + id.group(1) : "vnode ?";
        trace(start, "image copied out of the region");
        long actual = ImageDescriptor.crc(image);
        if (actual != crc) {
            fail("the image in the region is corrupt: CRC-32 " + Long.toHexString(actual) + ", the bootloader wrote "
                    + Long.toHexString(crc));
        }
        trace(start, "image digest checked");
        Properties boot = new Properties();
        boot.load(new StringReader(params));
        boot.setProperty("smpcluster.image.sha256", digest);
        if (standby) {
            // A standby may become any vnode of the cluster: keep only what is the cluster's, the
            // vnode's own parameters come with the takeover (as system properties, which the
            // framework falls back to).
            boot.keySet().removeIf(k -> !CLUSTER_WIDE.contains((String) k));
        }
        boot.forEach((k, v) -> System.setProperty((String) k, (String) v));
        // The framework's cache goes under the bootloader's stub directory (this JVM's class
        // path), named by this process's pid: a vnode killed with SIGKILL cannot clean up after
        // itself, so the bootloader removes it when the process ends, however it ends. One
        // there already was a dead process's of the same pid.
        Path stubDir = Path.of(System.getProperty("java.class.path").split(java.io.File.pathSeparator)[0]);
        Path storage = stubDir.resolve("storage").resolve("pid-" + ProcessHandle.current().pid());
        Files.createDirectories(storage.getParent(), PRIVATE);
        delete(storage);
        Files.createDirectory(storage, PRIVATE);
        try {
            Map<String, byte[]> entries = InMemoryJarLoader.unzip(image);
            trace(start, "image unpacked");
            run(entries, boot, storage, start, standby ? () -> awaitTakeover(physmem, crc) : null);
        } finally {
            delete(storage);
        }
        System.exit(0);
    }

    /**
     * A standby has the framework initialized and every bundle installed; it waits on stdin for
     * {@code go OFFSET SIZE}: the region of the vnode it is to become, which must hold the very
     * image it preloaded. Then it takes that region's boot parameters and starts. End of input
     * (the bootloader let it go) ends it.
     */
    private static void awaitTakeover(Path physmem, long crc) {
        try {
            String line = new java.io.BufferedReader(new java.io.InputStreamReader(System.in)).readLine();
            if (line == null) {
                // The bootloader let this standby go, or its root died: nothing to wait for.
                rootGone = true;
                System.exit(0);
            }
            String[] go = line.strip().split("\\s+");
            if (go.length != 3 || !go[0].equals("go")) {
                fail("standby: expected 'go OFFSET SIZE', got '" + line + "'");
            }
            String params;
            try (Arena arena = Arena.ofConfined();
                    FileChannel channel = FileChannel.open(physmem, StandardOpenOption.READ)) {
                MemorySegment region = channel.map(FileChannel.MapMode.READ_ONLY, Long.parseLong(go[1]),
                        Long.parseLong(go[2]), arena);
                String problem = ImageDescriptor.check(region);
                if (problem != null) {
                    fail("standby: " + problem);
                }
                // The bootloader wrote the image with its CRC: the same CRC is the same image.
                if (ImageDescriptor.crc(region) != crc) {
                    fail("standby: the region holds another image (CRC-32 " + Long.toHexString(ImageDescriptor.crc(region))
                            + ", preloaded " + Long.toHexString(crc) + ")");
                }
                params = ImageDescriptor.params(region);
            }
            Properties boot = new Properties();
            boot.load(new StringReader(params));
            boot.forEach((k, v) -> System.setProperty((String) k, (String) v));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("standby: cannot take over", e);
        }
    }

    private static void run(Map<String, byte[]> image, Properties boot, Path storage, long start, Runnable standby)
            throws Exception {
        Properties launch = new Properties();
        launch.load(new ByteArrayInputStream(required(image, "launcher.properties")));
        String framework = image.keySet().stream().filter(n -> n.startsWith("jar/org.apache.felix.framework-"))
                .findFirst().orElseThrow(() -> new IllegalStateException("no Felix framework in the image"));
        ClassLoader loader = new InMemoryJarLoader("image-framework", image.get(framework),
                VnodeBoot.class.getClassLoader());

        Map<String, String> config = new HashMap<>();
        launch.forEach((k, v) -> {
            if (!((String) k).startsWith("launch.")) {
                config.put((String) k, (String) v);
            }
        });
        boot.forEach((k, v) -> config.put((String) k, (String) v));
        config.put("org.osgi.framework.storage", storage.toString());
        config.put("org.osgi.framework.storage.clean", "onFirstInit");
        // The stub raises the start level itself, in two steps (see below).
        String beginningLevel = config.getOrDefault("org.osgi.framework.startlevel.beginning", "1");
        config.put("org.osgi.framework.startlevel.beginning", "1");

        Object felix = loader.loadClass("org.apache.felix.framework.Felix").getConstructor(Map.class)
                .newInstance(config);
        trace(start, "framework created");
        call(felix, "init");
        // From here a SIGTERM (the bootloader's stop) stops the framework, so the vnode leaves
        // the cluster cleanly even while it is still starting.
        Thread stopper = new Thread(() -> {
            try {
                call(felix, "stop");
                Object stopped = felix.getClass().getMethod("waitForStop", long.class).invoke(felix,
                        rootGone ? ORPHAN_STOP_MILLIS : 10_000L);
                delete(storage);
                int waitTimedOut = 0x200; // FrameworkEvent.WAIT_TIMEDOUT
                if (rootGone && (int) stopped.getClass().getMethod("getType").invoke(stopped) == waitTimedOut) {
                    // Whatever still waits for the dead root waits in vain: end now.
                    System.err.println(label + ": the framework did not stop within " + ORPHAN_STOP_MILLIS
                            + " ms of its root's end; halting");
                    Runtime.getRuntime().halt(0);
                }
            } catch (ReflectiveOperationException | IOException | RuntimeException e) {
                // The JVM is going down anyway and the bootloader removes what is left: one line, no trace.
                System.err.println(label + ": stopping the framework: " + e);
            }
        }, "vnode-shutdown");
        Runtime.getRuntime().addShutdownHook(stopper);
        if (standby == null) {
            watchRoot(physmem());
        }
        trace(start, "framework initialized");
        Object context = call(felix, "getBundleContext");
        // The framework's classes are not public; its interfaces are: call through them.
        Class<?> contextType = loader.loadClass("org.osgi.framework.BundleContext");
        Class<?> bundleType = loader.loadClass("org.osgi.framework.Bundle");
        Class<?> startLevel = loader.loadClass("org.osgi.framework.startlevel.BundleStartLevel");
        Method install = contextType.getMethod("installBundle", String.class, InputStream.class);
        Method adapt = bundleType.getMethod("adapt", Class.class);
        Method setStartLevel = startLevel.getMethod("setStartLevel", int.class);
        Method headers = bundleType.getMethod("getHeaders");
        Method startBundle = bundleType.getMethod("start");
        List<RunBundle> bundles = runBundles(launch);
        int beginning = Integer.parseInt(beginningLevel);
        // The vnode joins the cluster as soon as its nanokernel runs: start the bundles up to
        // the nanokernel's level first, and install the others only then.
        int early = standby != null ? Integer.MAX_VALUE
                : bundles.stream().filter(b -> b.file().contains("/org.smpcluster.nanokernel-"))
                        .mapToInt(RunBundle::level).findFirst().orElse(beginning);
        for (RunBundle b : bundles) {
            if (b.level() <= early) {
                Object bundle = install.invoke(context, "image:" + b.file(),
                        new ByteArrayInputStream(required(image, b.file())));
                setStartLevel.invoke(adapt.invoke(bundle, startLevel), Math.max(1, b.level()));
                startBundle.invoke(bundle); // persistently: it starts when the framework reaches its level
            }
        }
        if (standby != null) {
            // Do now what the takeover would otherwise wait for: resolve every bundle, and link
            // the futex downcall the nanokernel uses (the JDK caches the generated stub).
            Class<?> wiring = loader.loadClass("org.osgi.framework.wiring.FrameworkWiring");
            wiring.getMethod("resolveBundles", java.util.Collection.class).invoke(adapt.invoke(felix, wiring),
                    (Object) null);
            prelinkFutex();
            // And start what is nobody's vnode yet: the bundles below the nanokernel (SCR, Gogo's
            // runtime, the api), so that a takeover starts at the nanokernel (a cold SCR took a
            // third of a takeover's time to join).
            int below = bundles.stream().filter(b -> b.file().contains("/org.smpcluster.nanokernel-"))
                    .mapToInt(RunBundle::level).findFirst().orElse(1) - 1;
            if (below > 1) {
                raiseStartLevel(loader, felix, adapt, below);
            }
        }
        trace(start, standby != null ? "every bundle installed, standing by" : "early bundles installed");
        if (standby != null) {
            standby.run();
            label = "vnode " + System.getProperty("smpcluster.vnode");
            watchRoot(physmem()); // a vnode now, with an id to name in what it says
            start = System.nanoTime();
            trace(start, "taking over");
            early = beginning;
        }
        Class<?> frameworkStartLevel = loader.loadClass("org.osgi.framework.startlevel.FrameworkStartLevel");
        Class<?> listenerType = loader.loadClass("org.osgi.framework.FrameworkListener");
        Object levels = adapt.invoke(felix, frameworkStartLevel);
        Method setFrameworkLevel = frameworkStartLevel.getMethod("setStartLevel", int.class,
                listenerType.arrayType());
        call(felix, "start");
        setFrameworkLevel.invoke(levels, Math.min(early, beginning),
                java.lang.reflect.Array.newInstance(listenerType, 0));
        trace(start, "framework starting");
        for (RunBundle b : bundles) {
            if (b.level() > early) {
                Object bundle = install.invoke(context, "image:" + b.file(),
                        new ByteArrayInputStream(required(image, b.file())));
                setStartLevel.invoke(adapt.invoke(bundle, startLevel), Math.max(1, b.level()));
                if (((java.util.Dictionary<?, ?>) headers.invoke(bundle)).get("Fragment-Host") == null) {
                    startBundle.invoke(bundle);
                }
            }
        }
        // Unless the vnode is being stopped meanwhile (its root died, say): raising the level
        // again would start the bundles the stop is stopping.
        int state = (int) bundleType.getMethod("getState").invoke(felix);
        if (state == 0x20 /* ACTIVE */ || state == 0x08 /* STARTING */) {
            setFrameworkLevel.invoke(levels, beginning, java.lang.reflect.Array.newInstance(listenerType, 0));
        }
        trace(start, "framework started");
        felix.getClass().getMethod("waitForStop", long.class).invoke(felix, 0L);
    }

    /**
     * Starts the framework and raises its start level to {@code level}, returning once the
     * framework says the level is reached (or after 30 s, when the takeover raises it anyway).
     */
    private static void raiseStartLevel(ClassLoader loader, Object felix, Method adapt, int level) throws Exception {
        Class<?> frameworkStartLevel = loader.loadClass("org.osgi.framework.startlevel.FrameworkStartLevel");
        Class<?> listenerType = loader.loadClass("org.osgi.framework.FrameworkListener");
        java.util.concurrent.CountDownLatch reached = new java.util.concurrent.CountDownLatch(1);
        Object listener = java.lang.reflect.Proxy.newProxyInstance(loader, new Class<?>[] {listenerType},
                (proxy, method, args) -> switch (method.getName()) {
                    case "frameworkEvent" -> {
                        reached.countDown(); // the only event asked for: STARTLEVEL_CHANGED (or an error)
                        yield null;
                    }
                    case "hashCode" -> System.identityHashCode(proxy);
                    case "equals" -> proxy == args[0];
                    default -> "standby start level listener";
                });
        Object array = java.lang.reflect.Array.newInstance(listenerType, 1);
        java.lang.reflect.Array.set(array, 0, listener);
        call(felix, "start");
        frameworkStartLevel.getMethod("setStartLevel", int.class, listenerType.arrayType())
                .invoke(adapt.invoke(felix, frameworkStartLevel), level, array);
        reached.await(30, java.util.concurrent.TimeUnit.SECONDS);
    }

    /** With -Dsmpcluster.boot.verbose=true: how long since the stub started, for the boot timeline. */
    private static void trace(long start, String what) {
        if (VERBOSE) {
            // A standby is nobody's vnode yet: it says so, not "vnode null".
            System.err.printf("%s: %s at %.1f ms%n", label, what, (System.nanoTime() - start) / 1e6);
        }
    }

    private static Object call(Object target, String method) throws ReflectiveOperationException {
        try {
            return target.getClass().getMethod(method).invoke(target);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw e;
        }
    }

    private static byte[] required(Map<String, byte[]> image, String name) {
        byte[] bytes = image.get(name);
        if (bytes == null) {
            throw new IllegalStateException("the kernel image has no " + name);
        }
        return bytes;
    }

    /**
     * Links {@code syscall} with the very descriptor and options the nanokernel's futex uses,
     * and calls it once (a futex wake on a private word, which wakes nobody), so that the
     * nanokernel finds the downcall stub generated and warm.
     */
    private static void prelinkFutex() {
        try {
            java.lang.foreign.Linker linker = java.lang.foreign.Linker.nativeLinker();
            java.lang.invoke.MethodHandle syscall = linker.downcallHandle(
                    linker.defaultLookup().find("syscall").orElseThrow(),
                    java.lang.foreign.FunctionDescriptor.of(java.lang.foreign.ValueLayout.JAVA_LONG,
                            java.lang.foreign.ValueLayout.JAVA_LONG, java.lang.foreign.ValueLayout.ADDRESS,
                            java.lang.foreign.ValueLayout.JAVA_LONG, java.lang.foreign.ValueLayout.JAVA_LONG,
                            java.lang.foreign.ValueLayout.ADDRESS, java.lang.foreign.ValueLayout.ADDRESS,
                            java.lang.foreign.ValueLayout.JAVA_LONG),
                    java.lang.foreign.Linker.Option.firstVariadicArg(1),
                    java.lang.foreign.Linker.Option.captureCallState("errno"));
            long futex = switch (System.getProperty("os.arch")) {
                case "amd64", "x86_64" -> 202;
                case "aarch64" -> 98;
                default -> -1;
            };
            if (futex < 0) {
                return;
            }
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment word = arena.allocate(4, 4);
                MemorySegment captured = arena.allocate(java.lang.foreign.Linker.Option.captureStateLayout());
                long woken = (long) syscall.invokeExact(captured, futex, word, 1L, 1L, MemorySegment.NULL,
                        MemorySegment.NULL, 0L);
                if (woken < 0) {
                    trace(System.nanoTime(), "futex prelink returned " + woken);
                }
            }
        } catch (Throwable t) {
            // Only a warm-up: the nanokernel links it itself if this did not work.
            trace(System.nanoTime(), "futex prelink skipped: " + t);
        }
    }

    /**
     * Ends this vnode's process when its root is gone: nobody else would ever stop it. The
     * surest sign is the root's process ending (its pid is in the physmem header), seen within
     * {@value #ROOT_WATCH_MILLIS} ms; a root that lives but no longer beats (stopped, hung) is
     * taken for gone after 3 s. The shutdown hook stops the framework on the way out, for at
     * most {@value #ORPHAN_STOP_MILLIS} ms.
     */
    private static void watchRoot(Path physmem) {
        Thread.ofPlatform().daemon().name("root-watch").start(() -> {
            try (Arena arena = Arena.ofConfined();
                    FileChannel channel = FileChannel.open(physmem, StandardOpenOption.READ)) {
                MemorySegment header = channel.map(FileChannel.MapMode.READ_ONLY, 0, 4096, arena);
                java.lang.invoke.VarHandle word = java.lang.foreign.ValueLayout.JAVA_LONG.varHandle();
                long rootPid = (long) word.getAcquire(header, ROOT_PID_OFFSET);
                // The handle remembers the process's start time: a recycled pid is not the root.
                ProcessHandle root = ProcessHandle.of(rootPid).orElse(null);
                while (true) {
                    if (root == null || !root.isAlive()) {
                        end("the root (pid " + rootPid + ") ended");
                    }
                    long age = System.nanoTime() - (long) word.getAcquire(header, ROOT_HEARTBEAT_OFFSET);
                    if (age > 3_000_000_000L) {
                        end("the root's heartbeat stopped " + age / 1_000_000 + " ms ago (pid " + rootPid + ")");
                    }
                    Thread.sleep(ROOT_WATCH_MILLIS); // a watchdog's period, not a wait for a state
                }
            } catch (IOException | InterruptedException e) {
                System.err.println(label + ": cannot watch the root (" + e + "); ending this vnode");
                rootGone = true;
                System.exit(1);
            }
        });
    }

    private static Path physmem() {
        return Path.of(System.getProperty("smpcluster.physmem.dir", "/dev/shm"),
                "smpcluster-" + System.getProperty("smpcluster.cluster"));
    }

    private static void end(String why) {
        System.err.println(label + ": " + why + "; ending this vnode");
        rootGone = true;
        // However the shutdown goes (a stop that blocks before its wait begins, say), the
        // process ends by this deadline: a deadline's timer, not a wait for a state.
        Thread.ofPlatform().daemon().name("orphan-deadline").start(() -> {
            try {
                Thread.sleep(ORPHAN_STOP_MILLIS);
            } catch (InterruptedException e) {
                return;
            }
            System.err.println(label + ": still stopping " + ORPHAN_STOP_MILLIS + " ms after its root's end; halting");
            Runtime.getRuntime().halt(0);
        });
        System.exit(0);
    }

    /** How often the stub looks at its root. */
    private static final long ROOT_WATCH_MILLIS = 50;

    /** Where the root's pid and heartbeat are in the physmem header (HeaderDescriptor, which the stub cannot load). */
    private static final long ROOT_PID_OFFSET = 32;
    private static final long ROOT_HEARTBEAT_OFFSET = 128;

    /** One of the image's run bundles: its entry and its start level. */
    private record RunBundle(String file, int level) {
    }

    private static List<RunBundle> runBundles(Properties launch) {
        List<String> files = split(launch.getProperty("launch.bundles"));
        List<String> attrs = split(launch.getProperty("launch.runbundles.attrs"));
        List<RunBundle> bundles = new ArrayList<>();
        for (int i = 0; i < files.size(); i++) {
            bundles.add(new RunBundle(files.get(i), startLevel(i < attrs.size() ? attrs.get(i) : "")));
        }
        return bundles;
    }

    private static int startLevel(String attrs) {
        for (String part : attrs.split(";")) {
            String p = part.strip();
            if (p.startsWith("startlevel=")) {
                return Integer.parseInt(p.substring("startlevel=".length()));
            }
        }
        return 0;
    }

    private static List<String> split(String list) {
        return list == null ? List.of()
                : Arrays.stream(list.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList();
    }

    private static void fail(String why) {
        System.err.println("vnode boot: " + why);
        System.exit(1);
    }

    private static void delete(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
