package org.smpcluster.bootloader;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.reflect.Proxy;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

import org.osgi.framework.Bundle;
import org.smpcluster.api.nanokernel.DeviceInfo;
import org.smpcluster.api.nanokernel.DeviceManager;
import org.smpcluster.api.nanokernel.MemoryRegion;
import org.smpcluster.api.nanokernel.Nanokernel;
import org.smpcluster.api.nanokernel.PhysicalMemory;
import org.smpcluster.api.nanokernel.VnodeState;

/**
 * A root without a nanokernel, for testing {@link Kmb}'s own logic: physical memory on the
 * heap, a device table in a map, and "vnode processes" that are a shell script which says it
 * joined (by writing its pid to a file named after its region's offset, as a standby does
 * once it is told its region on stdin) and then sleeps. The vnode table says JOINED for the
 * vnode whose region's joiner lives, with the heartbeat age a test sets.
 */
final class FakeRoot implements AutoCloseable {

    static final long REGION = 32L << 20;

    final String cluster = "kmbtest-" + ProcessHandle.current().pid() + "-" + System.nanoTime() % 1_000_000;
    final Path dir;
    final Path script;
    final Map<Integer, MemorySegment> regions = new ConcurrentHashMap<>();
    final Map<String, DeviceInfo> table = Collections.synchronizedMap(new TreeMap<>());
    /** What DeviceManager.reclaimed answers, per vnode; absent: nothing reclaimed. */
    final Map<Integer, List<String>> reclaimed = new ConcurrentHashMap<>();
    final Map<Integer, Long> heartbeatAgeNanos = new ConcurrentHashMap<>();
    final List<String> progress = Collections.synchronizedList(new ArrayList<>());
    final Nanokernel nanokernel;
    final PhysicalMemory memory;
    final DeviceManager devices;
    private final Arena arena = Arena.ofShared();

    FakeRoot(Path dir) throws IOException {
        this(dir, "sleep 120");
    }

    /** A fake root whose vnode processes, once they said they joined, exec {@code command}. */
    FakeRoot(Path dir, String command) throws IOException {
        this.dir = dir;
        script = dir.resolve("fake-java");
        // Started as: setsid taskset -c CPUS fake-java JVM-OPTIONS... -cp STUB VnodeBoot PHYSMEM OFFSET SIZE [--standby]
        Files.writeString(script, """
                #!/bin/sh
                while [ "$1" != org.smpcluster.bootloader.stub.VnodeBoot ]; do shift; done
                off=$3
                if [ "$5" = --standby ]; then
                  read go off size || exit 0
                fi
                echo $$ > %s/joined-$off.tmp && mv %s/joined-$off.tmp %s/joined-$off
                exec %s
                """.formatted(dir, dir, dir, command));
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
        nanokernel = fakeNanokernel();
        memory = fakeMemory();
        devices = fakeDevices();
    }

    Kmb kmb(Duration hangTimeout) {
        return kmb(hangTimeout, List.of());
    }

    Kmb kmb(Duration hangTimeout, List<String> jvmOptions) {
        Path image = dir.resolve("image.jar");
        try {
            Files.write(image, new byte[] {1, 2, 3, 4});
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Kmb.Settings settings = new Kmb.Settings(image, Duration.ofSeconds(10), hangTimeout, Duration.ofSeconds(5),
                dir, script.toString(), jvmOptions);
        return new Kmb(nanokernel, memory, devices, settings, stubBundle());
    }

    Consumer<String> progress() {
        return progress::add;
    }

    /** The pid that said it joined in vnode {@code id}'s region, or 0. */
    long joinedPid(int id) {
        MemorySegment r = regions.get(id);
        if (r == null) {
            return 0;
        }
        Path file = dir.resolve("joined-" + offset(id));
        try {
            return Files.exists(file) ? Long.parseLong(Files.readString(file).strip()) : 0;
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
    }

    static long offset(int id) {
        return id * REGION;
    }

    private Nanokernel fakeNanokernel() {
        return new Nanokernel() {
            @Override
            public String clusterName() {
                return cluster;
            }

            @Override
            public int vnodeId() {
                return ROOT;
            }

            @Override
            public String physmemPath() {
                return dir.resolve("physmem").toString();
            }

            @Override
            public long physmemSize() {
                return 1L << 30;
            }

            @Override
            public List<VnodeState> vnodes() {
                List<VnodeState> all = new ArrayList<>();
                for (int id = 0; id < MAX_VNODES; id++) {
                    long pid = joinedPid(id);
                    boolean alive = pid != 0 && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
                    String state = id == ROOT || alive ? VnodeState.JOINED
                            : regions.containsKey(id) ? (pid != 0 ? VnodeState.FAILED : VnodeState.BOOTING)
                                    : VnodeState.FREE;
                    all.add(new VnodeState(id, state, id == ROOT ? ProcessHandle.current().pid() : pid,
                            heartbeatAgeNanos.getOrDefault(id, 0L), 0, regions.containsKey(id) ? offset(id) : 0,
                            regions.containsKey(id) ? REGION : 0, 1));
                }
                return all;
            }

            @Override
            public boolean rootGone() {
                return false;
            }

            @Override
            public Thread kernelThread(String name, Runnable body) {
                return Thread.ofPlatform().daemon().name(name).unstarted(body);
            }

            @Override
            public void panic(String reason, Throwable cause) {
                throw new AssertionError("panic: " + reason, cause);
            }
        };
    }

    private PhysicalMemory fakeMemory() {
        return new PhysicalMemory() {
            @Override
            public MemoryRegion allocate(int vnode, long size) {
                try {
                    Files.deleteIfExists(dir.resolve("joined-" + offset(vnode)));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                regions.put(vnode, arena.allocate(Math.min(size, REGION), 4096));
                return region(vnode);
            }

            @Override
            public MemoryRegion region(int vnode) {
                MemorySegment segment = regions.get(vnode);
                if (segment == null) {
                    return null;
                }
                return new MemoryRegion() {
                    @Override
                    public int vnode() {
                        return vnode;
                    }

                    @Override
                    public long offset() {
                        return FakeRoot.offset(vnode);
                    }

                    @Override
                    public long size() {
                        return segment.byteSize();
                    }

                    @Override
                    public Mapping map() {
                        return new Mapping() {
                            @Override
                            public MemorySegment segment() {
                                return segment;
                            }

                            @Override
                            public void close() {
                            }
                        };
                    }

                    @Override
                    public void free() {
                        regions.remove(vnode, segment);
                    }
                };
            }
        };
    }

    private DeviceManager fakeDevices() {
        return new DeviceManager() {
            @Override
            public List<DeviceInfo> devices() {
                synchronized (table) {
                    return List.copyOf(table.values());
                }
            }

            @Override
            public DeviceInfo add(String address, String deviceClass, String name, String backing) {
                DeviceInfo d = new DeviceInfo(address, deviceClass, name, backing, DeviceInfo.UNASSIGNED, 32 + table.size());
                table.put(address, d);
                return d;
            }

            @Override
            public void assign(String address, int vnode) {
                DeviceInfo d = table.get(address);
                if (d == null) {
                    throw new IllegalArgumentException("no device at address " + address);
                }
                if (d.owner() != DeviceInfo.UNASSIGNED && d.owner() != vnode) {
                    throw new IllegalStateException("device " + address + " is owned by vnode " + d.owner());
                }
                owner(address, vnode);
            }

            @Override
            public void move(String address, int vnode) {
                owner(address, vnode);
            }

            @Override
            public void unassign(String address) {
                owner(address, DeviceInfo.UNASSIGNED);
            }

            @Override
            public List<String> reclaimed(int vnode) {
                return reclaimed.getOrDefault(vnode, List.of());
            }

            @Override
            public void raise(String address) {
            }
        };
    }

    void owner(String address, int vnode) {
        DeviceInfo d = table.get(address);
        table.put(address, new DeviceInfo(d.address(), d.deviceClass(), d.name(), d.backing(), vnode, d.vector()));
    }

    /** The bootloader bundle, as far as the stub's extraction asks it: its stub classes. */
    private static Bundle stubBundle() {
        return (Bundle) Proxy.newProxyInstance(FakeRoot.class.getClassLoader(), new Class<?>[] {Bundle.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("findEntries")) {
                        Path stub = Path.of(org.smpcluster.bootloader.stub.VnodeBoot.class.getResource("VnodeBoot.class")
                                .toURI()).getParent();
                        List<URL> urls = new ArrayList<>();
                        try (var files = Files.list(stub)) {
                            for (Path p : files.filter(f -> f.toString().endsWith(".class")).toList()) {
                                urls.add(p.toUri().toURL());
                            }
                        }
                        return Collections.enumeration(urls);
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
    }

    @Override
    public void close() {
        arena.close();
    }
}
