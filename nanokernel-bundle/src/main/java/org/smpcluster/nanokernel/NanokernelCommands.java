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
import org.smpcluster.nanokernel.layout.ControlArea;
import org.smpcluster.nanokernel.layout.VnodeTableDescriptor;

/**
 * The {@code nk} Gogo commands: the nanokernel's state for people. Every listing is computed
 * from the shared tables, so it reads the same on every vnode.
 */
public final class NanokernelCommands {

    static final String[] FUNCTIONS = {"mem", "bridges", "compact", "devices", "irq", "vnodes", "raise", "trigger"};

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
        return out.toString();
    }

    @Descriptor("raise an interrupt vector on a vnode through its portal")
    public String raise(@Descriptor("the target vnode") int vnode, @Descriptor("the vector, 0..63") int vector) {
        kernel.portals().raise(vnode, vector);
        return "raised vector " + vector + " on vnode " + vnode;
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
