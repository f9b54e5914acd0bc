package org.smpcluster.nanokernel;

import java.lang.foreign.MemorySegment;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

import org.apache.felix.service.command.Descriptor;
import org.smpcluster.api.nanokernel.BridgeInfo;
import org.smpcluster.api.nanokernel.DomainInfo;
import org.smpcluster.api.nanokernel.Nanokernel;
import org.smpcluster.api.nanokernel.Portals;
import org.smpcluster.api.nanokernel.VnodeState;
import org.smpcluster.api.nanokernel.DeviceInfo;
import org.smpcluster.nanokernel.dsp.DspFaults;
import org.smpcluster.nanokernel.layout.ControlArea;
import org.smpcluster.nanokernel.layout.DeviceTableDescriptor;
import org.smpcluster.nanokernel.layout.VnodeTableDescriptor;

/**
 * The {@code nk} Gogo commands: the nanokernel's state for people. Every listing is computed
 * from the shared tables, so it reads the same on every vnode.
 */
public final class NanokernelCommands {

    static final String[] FUNCTIONS = {"mem", "bridges", "compact", "devices", "irq", "vnodes", "raise", "trigger",
        "inject"};
    /** The system property that allows {@code nk:inject}; the bootloader passes the root's on to its vnodes. */
    public static final String FAULT_INJECT = "smpcluster.fault.inject";

    private final Kernel kernel;

    NanokernelCommands(Kernel kernel) {
        this.kernel = kernel;
    }

    /** One line of the memory map. */
    record Region(long offset, long size, String kind, String what) {
    }

    @Descriptor("show the physical memory map: the control area, every bridge, the free extents")
    public String mem() {
        List<Region> map = memoryMap(kernel.bridges().bridges(), kernel.vnodes(), kernel.physmemSize());
        long free = map.stream().filter(r -> r.kind().equals("free")).mapToLong(Region::size).sum();
        long largest = map.stream().filter(r -> r.kind().equals("free")).mapToLong(Region::size).max().orElse(0);
        StringBuilder out = new StringBuilder(String.format("physmem %s, %s in pages of %d bytes%n",
                kernel.physmemPath(), size(kernel.physmemSize()), ControlArea.PAGE_SIZE));
        out.append(String.format("%-12s %-10s %-8s %s%n", "OFFSET", "SIZE", "KIND", "WHAT"));
        for (Region r : map) {
            out.append(String.format("0x%010x %-10s %-8s %s%n", r.offset(), size(r.size()), r.kind(), r.what()));
        }
        out.append(String.format("free %s, largest free extent %s%n", size(free), size(largest)));
        return out.toString();
    }

    /** The control area, the bridges (whole pages), vnode memory and the free gaps between them, in address order. */
    static List<Region> memoryMap(List<BridgeInfo> bridges, List<VnodeState> vnodes, long physmemSize) {
        long page = ControlArea.PAGE_SIZE;
        TreeMap<Long, Region> used = new TreeMap<>();
        used.put(0L, new Region(0, ControlArea.SIZE, "control",
                "header, vnode table, bridge directory, doorbells, devices, DSP rings"));
        for (BridgeInfo b : bridges) {
            long pages = (b.size() + page - 1) / page * page;
            used.put(b.offset(), new Region(b.offset(), pages, "bridge", "'" + b.name() + "' (" + b.scope() + ")"));
        }
        for (VnodeState v : vnodes) {
            if (v.regionSize() > 0) {
                used.put(v.regionOffset(), new Region(v.regionOffset(), v.regionSize(), "vnode",
                        "vnode " + v.id() + "'s memory (" + v.state() + ")"));
            }
        }
        List<Region> map = new ArrayList<>();
        long cursor = 0;
        for (Region r : used.values()) {
            if (r.offset() > cursor) {
                map.add(new Region(cursor, r.offset() - cursor, "free", ""));
            }
            map.add(r);
            cursor = r.offset() + r.size();
        }
        if (physmemSize > cursor) {
            map.add(new Region(cursor, physmemSize - cursor, "free", ""));
        }
        return map;
    }

    @Descriptor("list the bridges of the cluster: name, scope, size, offset, users")
    public String bridges() {
        List<BridgeInfo> bridges = new ArrayList<>(kernel.bridges().bridges());
        bridges.sort((a, b) -> a.name().compareTo(b.name()));
        StringBuilder out = new StringBuilder(String.format("%-24s %-9s %-9s %10s %-12s %s%n",
                "NAME", "SCOPE", "KIND", "BYTES", "OFFSET", "USERS"));
        for (BridgeInfo b : bridges) {
            out.append(String.format("%-24s %-9s %-9s %10d 0x%010x %s%n", b.name(), b.scope(),
                    b.isTransient() ? "transient" : "fixed", b.size(), b.offset(),
                    b.users().stream().sorted().map(String::valueOf).reduce((x, y) -> x + "," + y).orElse("-")));
        }
        if (bridges.isEmpty()) {
            out.append("(no bridges)\n");
        }
        return out.toString();
    }

    @Descriptor("root: defragment physical memory by moving transient bridges down (their users freeze meanwhile)")
    public String compact() {
        long start = System.nanoTime();
        long moved = kernel.bridges().compact();
        return String.format("moved %s of transient bridges in %.1f ms%n%s", size(moved),
                (System.nanoTime() - start) / 1e6, mem());
    }

    @Descriptor("list the devices and their owners (on a vnode other than the root: its own)")
    public String devices() {
        return DeviceCommands.format(kernel.devices().devices());
    }

    @Descriptor("show interrupt counts: hits received per vector, handled per domain, logged while stalled")
    public String irq() {
        List<DomainInfo> domains = kernel.pipeline().domains();
        StringBuilder out = new StringBuilder(String.format("%-12s %10s", "VECTOR", "RECEIVED"));
        for (DomainInfo d : domains) {
            out.append(String.format(" %12s", d.name() + (d.stallDepth() > 0 ? "*" : "")));
        }
        out.append('\n');
        for (int v = 0; v < Portals.VECTORS; v++) {
            long received = kernel.interruptThread().received(v);
            boolean any = received > 0;
            for (DomainInfo d : domains) {
                any |= d.handled().containsKey(v) || d.logged().containsKey(v);
            }
            if (!any) {
                continue;
            }
            out.append(String.format("%-12s %10d", vectorName(v), received));
            for (DomainInfo d : domains) {
                long handled = d.handled().getOrDefault(v, 0L);
                long logged = d.logged().getOrDefault(v, 0L);
                out.append(String.format(" %12s", logged > 0 ? handled + "+" + logged + "L" : Long.toString(handled)));
            }
            out.append('\n');
        }
        out.append("(* stalled domain; nL: n hits logged, replayed when it unstalls)\n");
        return out.toString();
    }

    @Descriptor("show the vnode table: id, state, pid, heartbeat age, joined at")
    public String vnodes() {
        MemorySegment physmem = kernel.physmem().segment();
        StringBuilder out = new StringBuilder(String.format("%-5s %-8s %-8s %-11s %-12s %-10s %s%n",
                "VNODE", "STATE", "PID", "HEARTBEAT", "REGION", "SIZE", "JOINED"));
        long now = System.nanoTime();
        for (int v = 0; v < Nanokernel.MAX_VNODES; v++) {
            VnodeTableDescriptor.State state = VnodeTableDescriptor.state(physmem, v);
            if (state == VnodeTableDescriptor.State.FREE) {
                continue;
            }
            long age = (now - VnodeTableDescriptor.heartbeat(physmem, v)) / 1_000_000;
            long region = VnodeTableDescriptor.regionSize(physmem, v);
            out.append(String.format("%-5d %-8s %-8d %-11s %-12s %-10s %s%n", v, state,
                    VnodeTableDescriptor.pid(physmem, v), age + " ms ago",
                    region == 0 ? "-" : String.format("0x%x", VnodeTableDescriptor.regionOffset(physmem, v)),
                    region == 0 ? "-" : size(region), Instant.ofEpochMilli(VnodeTableDescriptor.joined(physmem, v))));
        }
        out.append(String.format("(heartbeat every %d ms, from each vnode's interrupt thread; the longest gap on this "
                + "vnode so far: %.1f ms)%n", Kernel.HEARTBEAT_NANOS / 1_000_000,
                kernel.longestHeartbeatGapNanos() / 1e6));
        return out.toString();
    }

    @Descriptor("raise an interrupt vector on a joined vnode through its portal (a device's vector only on its owner)")
    public String raise(@Descriptor("the target vnode, 0.." + (Nanokernel.MAX_VNODES - 1)) int vnode,
            @Descriptor("the vector, 0..63; device vectors (32 and up) only on the device's owner") int vector) {
        if (vnode < 0 || vnode >= Nanokernel.MAX_VNODES) {
            throw new IllegalArgumentException("vnode=" + vnode + " is outside 0.." + (Nanokernel.MAX_VNODES - 1));
        }
        if (vector < 0 || vector >= Portals.VECTORS) {
            throw new IllegalArgumentException("vector=" + vector + " is outside 0.." + (Portals.VECTORS - 1));
        }
        MemorySegment physmem = kernel.physmem().segment();
        VnodeTableDescriptor.State state = VnodeTableDescriptor.state(physmem, vnode);
        if (state != VnodeTableDescriptor.State.JOINED) {
            throw new IllegalArgumentException("vnode " + vnode + " is " + state + ", not joined: nobody takes its "
                    + "interrupts; nk:vnodes lists the joined ones");
        }
        if (vector >= Portals.FIRST_DEVICE_VECTOR) {
            DeviceTableDescriptor.Entry device = DeviceTableDescriptor.read(physmem, vector - Portals.FIRST_DEVICE_VECTOR);
            if (device.state() == DeviceTableDescriptor.STATE_FREE) {
                throw new IllegalArgumentException("vector=" + vector + " is a device vector, and no device has it; "
                        + "vectors " + Portals.FIRST_DRIVER_VECTOR + ".." + (Portals.FIRST_DEVICE_VECTOR - 1)
                        + " are free for drivers");
            }
            if (device.owner() != vnode) {
                throw new IllegalArgumentException("vector=" + vector + " is device " + device.address() + "'s, which "
                        + (device.owner() == DeviceInfo.UNASSIGNED ? "nobody owns" : "vnode " + device.owner() + " owns")
                        + ", not vnode " + vnode + "; device:raise " + device.address() + " raises it on its owner");
            }
        }
        kernel.portals().raise(vnode, vector);
        return "raised vector " + vector + " on vnode " + vnode;
    }

    @Descriptor("fault injection for tests (needs -D" + FAULT_INJECT + "=true): oom (allocate until out of "
            + "memory: the vnode panics), hang (stall the interrupt thread: the heartbeat stops), ring [VNODE] "
            + "(garbage into a vnode's DSP request ring)")
    public String inject(@Descriptor("oom, hang or ring") String kind) {
        return inject(kind, kernel.vnodeId());
    }

    @Descriptor("fault injection for tests (needs -D" + FAULT_INJECT + "=true): ring VNODE garbles that vnode's "
            + "DSP request ring (a vnode may garble only its own; the root any)")
    public String inject(@Descriptor("ring") String kind,
            @Descriptor("whose ring, 1.." + (Nanokernel.MAX_VNODES - 1)) int vnode) {
        if (!Boolean.parseBoolean(System.getProperty(FAULT_INJECT))) {
            throw new IllegalStateException("fault injection is off on vnode " + kernel.vnodeId() + "; it is on when "
                    + "the system property " + FAULT_INJECT + "=true (start the root with SMPCLUSTER_JAVA_OPTS="
                    + "-D" + FAULT_INJECT + "=true: its vnodes get it too)");
        }
        return switch (kind) {
            case "oom" -> injectOom();
            case "hang" -> {
                kernel.interruptThread().injectHang();
                yield "vnode " + kernel.vnodeId() + ": its interrupt thread is stalled; its heartbeat stops";
            }
            case "ring" -> injectRing(vnode);
            default -> throw new IllegalArgumentException("no fault '" + kind + "'; the faults are oom, hang, ring");
        };
    }

    private String injectOom() {
        Thread hog = kernel.kernelThread("fault-oom", () -> {
            List<long[]> held = new ArrayList<>();
            while (true) {
                held.add(new long[128 * 1024]); // 1 MiB at a time, all kept: the heap runs out
            }
        });
        hog.start();
        return "vnode " + kernel.vnodeId() + ": a kernel thread allocates until the heap is exhausted; the vnode panics "
                + "(exit status " + Kernel.PANIC_STATUS + ")";
    }

    private String injectRing(int vnode) {
        if (vnode <= Nanokernel.ROOT || vnode >= Nanokernel.MAX_VNODES) {
            throw new IllegalArgumentException("vnode=" + vnode + ": only vnodes 1.." + (Nanokernel.MAX_VNODES - 1)
                    + " have a DSP request ring" + (kernel.isRoot() ? "; on the root, say whose: nk:inject ring 1" : ""));
        }
        if (!kernel.isRoot() && vnode != kernel.vnodeId()) {
            throw new IllegalArgumentException("vnode " + kernel.vnodeId() + " may garble only its own ring, not vnode "
                    + vnode + "'s (the root may garble any)");
        }
        long start = System.nanoTime();
        DspFaults.garbleRequests(kernel.physmem().segment(), vnode);
        kernel.portals().raise(Nanokernel.ROOT, Portals.VECTOR_DSP);
        if (kernel.isRoot()) {
            return "vnode " + vnode + "'s DSP request ring garbled (head=-5, every slot scribbled); the root drains it now";
        }
        // The root resets the ring, or refuses each garbage slot; a request sent meanwhile may be
        // lost with it. The first request answered after that shows the ring works again.
        long deadline = start + 2_000_000_000L;
        while (true) {
            try {
                kernel.ping();
                return String.format("vnode %d's DSP request ring garbled (head=-5, every slot scribbled); "
                        + "the root answered again after %.1f ms", vnode, (System.nanoTime() - start) / 1e6);
            } catch (IllegalStateException lost) {
                if (System.nanoTime() - deadline > 0) {
                    throw new IllegalStateException("vnode " + vnode + "'s DSP ring did not recover within 2 s: "
                            + lost.getMessage(), lost);
                }
            }
        }
    }

    @Descriptor("raise a synthetic (software) interrupt on this vnode")
    public String trigger(@Descriptor("the vector, 0..63") int vector) {
        kernel.pipeline().trigger(vector);
        return "triggered vector " + vector;
    }

    static String vectorName(int v) {
        return switch (v) {
            case Portals.VECTOR_DSP -> "0 (dsp)";
            case Portals.VECTOR_TIMER -> "1 (timer)";
            case Portals.VECTOR_HOTPLUG -> "2 (hotplug)";
            default -> Integer.toString(v);
        };
    }

    /** Bytes for people: 4096 is "4 KiB", 268435456 is "256 MiB", 66846720 is "63.8 MiB". */
    static String size(long bytes) {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
        int unit = 0;
        double value = bytes;
        while (value >= 1024 && unit < units.length - 1) {
            value /= 1024;
            unit++;
        }
        return value == Math.rint(value) ? (long) value + " " + units[unit]
                : String.format(java.util.Locale.ROOT, "%.1f %s", value, units[unit]);
    }
}
