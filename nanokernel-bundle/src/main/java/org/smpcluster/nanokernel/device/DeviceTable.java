package org.smpcluster.nanokernel.device;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

import org.smpcluster.api.nanokernel.DeviceInfo;
import org.smpcluster.nanokernel.layout.DeviceTableDescriptor;
import org.smpcluster.nanokernel.layout.DeviceTableDescriptor.Entry;

/**
 * The root's device table: the only writer. Attribution is exclusive: a device has one owner,
 * and changing owners goes through a move (hot-unplug, then hot-plug).
 */
public final class DeviceTable {

    private static final Pattern ADDRESS = Pattern.compile("[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\\.[0-7]");

    private final MemorySegment physmem;

    public DeviceTable(MemorySegment physmem) {
        this.physmem = physmem;
    }

    public synchronized DeviceInfo add(String address, String deviceClass, String name, String backing) {
        if (address == null || !ADDRESS.matcher(address).matches()) {
            throw new IllegalArgumentException("device address '" + address
                    + "' is not PCI-style DDDD:BB:SS.F in lower-case hex, e.g. 0000:00:04.0");
        }
        fits("class", deviceClass, DeviceTableDescriptor.CLASS_CAPACITY, true);
        fits("name", name, DeviceTableDescriptor.NAME_CAPACITY, true);
        fits("backing", backing, DeviceTableDescriptor.BACKING_CAPACITY, false);
        int free = -1;
        for (int i = 0; i < DeviceTableDescriptor.ENTRIES; i++) {
            Entry e = entry(i);
            if (e.state() != DeviceTableDescriptor.STATE_FREE && e.address().equals(address)) {
                throw new IllegalArgumentException("device address " + address + " is taken by '" + e.name() + "'");
            }
            if (e.state() == DeviceTableDescriptor.STATE_FREE && free < 0) {
                free = i;
            }
        }
        if (free < 0) {
            throw new IllegalStateException("the device table is full (" + DeviceTableDescriptor.ENTRIES + " devices)");
        }
        Entry e = new Entry(free, DeviceTableDescriptor.STATE_PRESENT, DeviceInfo.UNASSIGNED, DeviceInfo.UNASSIGNED,
                DeviceInfo.UNASSIGNED, address, deviceClass, name, backing == null ? "" : backing);
        DeviceTableDescriptor.write(physmem, e);
        return info(e);
    }

    /** Gives an unassigned device to {@code vnode}; false if it already owns it. */
    public synchronized boolean assign(String address, int vnode) {
        Entry e = find(address);
        if (e.owner() == vnode && e.state() == DeviceTableDescriptor.STATE_PRESENT) {
            return false;
        }
        if (e.owner() != DeviceInfo.UNASSIGNED || e.state() != DeviceTableDescriptor.STATE_PRESENT) {
            throw new IllegalStateException("device " + address + " ('" + e.name() + "') is owned by vnode "
                    + e.owner() + (e.state() == DeviceTableDescriptor.STATE_MOVING ? ", moving to vnode " + e.target() : "")
                    + "; move it instead of assigning it");
        }
        DeviceTableDescriptor.write(physmem, with(e, DeviceTableDescriptor.STATE_PRESENT, vnode, DeviceInfo.UNASSIGNED));
        return true;
    }

    /** Starts moving {@code address} to {@code to}; returns the owner it leaves. */
    public synchronized int beginMove(String address, int to) {
        Entry e = find(address);
        if (e.state() == DeviceTableDescriptor.STATE_MOVING) {
            throw new IllegalStateException("device " + address + " is already moving to vnode " + e.target());
        }
        if (e.owner() == DeviceInfo.UNASSIGNED) {
            throw new IllegalStateException("device " + address + " is unassigned; assign it instead of moving it");
        }
        DeviceTableDescriptor.write(physmem, with(e, DeviceTableDescriptor.STATE_MOVING, e.owner(), to));
        return e.owner();
    }

    /** The old owner released it: the target owns it now. */
    public synchronized void finishMove(String address) {
        Entry e = find(address);
        DeviceTableDescriptor.write(physmem, with(e, DeviceTableDescriptor.STATE_PRESENT, e.target(), DeviceInfo.UNASSIGNED));
    }

    /** The old owner did not release it: it keeps it. */
    public synchronized void abortMove(String address) {
        Entry e = find(address);
        DeviceTableDescriptor.write(physmem, with(e, DeviceTableDescriptor.STATE_PRESENT, e.owner(), DeviceInfo.UNASSIGNED));
    }

    /**
     * A vnode died or left: its devices become unassigned, remembered as reclaimed from it
     * (see {@link #reclaimed}). Returns their addresses.
     */
    public synchronized List<String> reclaim(int vnode) {
        List<String> freed = new ArrayList<>();
        for (Entry e : entries()) {
            if (e.owner() == vnode) {
                DeviceTableDescriptor.write(physmem,
                        with(e, DeviceTableDescriptor.STATE_PRESENT, DeviceInfo.UNASSIGNED, DeviceInfo.UNASSIGNED,
                                vnode));
                freed.add(e.address());
            }
        }
        return freed;
    }

    /** The devices {@code vnode} owns and may use now (not those moving away from it). */
    public List<DeviceInfo> ownedBy(int vnode) {
        return entries().stream()
                .filter(e -> e.owner() == vnode && e.state() == DeviceTableDescriptor.STATE_PRESENT)
                .map(DeviceTable::info).toList();
    }

    public List<DeviceInfo> all() {
        return entries().stream().map(DeviceTable::info).toList();
    }

    public Entry find(String address) {
        for (Entry e : entries()) {
            if (e.address().equals(address)) {
                return e;
            }
        }
        throw new IllegalArgumentException("no device at address " + address + "; the table has "
                + entries().stream().map(Entry::address).toList());
    }

    private synchronized List<Entry> entries() {
        List<Entry> entries = new ArrayList<>();
        for (int i = 0; i < DeviceTableDescriptor.ENTRIES; i++) {
            Entry e = entry(i);
            if (e.state() != DeviceTableDescriptor.STATE_FREE) {
                entries.add(e);
            }
        }
        return entries;
    }

    /**
     * Entry {@code index}, read by its only writer under the table's lock: a half-written
     * entry (a write that never finished) is made readable as it is, once, with a log line.
     */
    private Entry entry(int index) {
        if (DeviceTableDescriptor.repair(physmem, index)) {
            System.getLogger(DeviceTable.class.getName()).log(System.Logger.Level.WARNING,
                    "device table entry " + index + " was left half-written; taken as it is now");
        }
        return DeviceTableDescriptor.read(physmem, index);
    }

    static DeviceInfo info(Entry e) {
        return new DeviceInfo(e.address(), e.deviceClass(), e.name(), e.backing(), e.owner(), e.vector());
    }

    /** Starts taking {@code address} back from its owner; returns the owner, or -1 if it had none. */
    public synchronized int beginUnassign(String address) {
        Entry e = find(address);
        if (e.state() == DeviceTableDescriptor.STATE_MOVING) {
            throw new IllegalStateException("device " + address + " is moving to "
                    + (e.target() == DeviceInfo.UNASSIGNED ? "nobody (being unassigned)" : "vnode " + e.target())
                    + "; try again when that is done");
        }
        if (e.owner() == DeviceInfo.UNASSIGNED) {
            // Nobody has it; it is no longer any dead vnode's to boot with either.
            DeviceTableDescriptor.write(physmem, with(e, DeviceTableDescriptor.STATE_PRESENT, DeviceInfo.UNASSIGNED,
                    DeviceInfo.UNASSIGNED));
            return DeviceInfo.UNASSIGNED;
        }
        DeviceTableDescriptor.write(physmem, with(e, DeviceTableDescriptor.STATE_MOVING, e.owner(),
                DeviceInfo.UNASSIGNED));
        return e.owner();
    }

    /** The old owner released it (or is gone): nobody owns it now. */
    public synchronized void finishUnassign(String address) {
        Entry e = find(address);
        DeviceTableDescriptor.write(physmem, with(e, DeviceTableDescriptor.STATE_PRESENT, DeviceInfo.UNASSIGNED,
                DeviceInfo.UNASSIGNED));
    }

    /**
     * The devices reclaimed from {@code vnode} at its last death or leave that nobody has been
     * given since, in address order.
     */
    public List<String> reclaimed(int vnode) {
        return entries().stream()
                .filter(e -> e.owner() == DeviceInfo.UNASSIGNED && e.state() == DeviceTableDescriptor.STATE_PRESENT
                        && e.reclaimedFrom() == vnode)
                .map(Entry::address).sorted().toList();
    }

    /** {@code e} with new attribution; giving a device to anybody forgets whom it was reclaimed from. */
    private static Entry with(Entry e, int state, int owner, int target) {
        return with(e, state, owner, target, DeviceInfo.UNASSIGNED);
    }

    private static Entry with(Entry e, int state, int owner, int target, int reclaimedFrom) {
        return new Entry(e.index(), state, owner, target, reclaimedFrom, e.address(), e.deviceClass(), e.name(),
                e.backing());
    }

    private static void fits(String what, String value, int capacity, boolean required) {
        if (value == null || (required && value.isBlank())) {
            if (required) {
                throw new IllegalArgumentException("a device needs a " + what);
            }
            return;
        }
        int bytes = value.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > capacity) {
            throw new IllegalArgumentException("device " + what + " '" + value + "' is " + bytes
                    + " bytes of UTF-8; at most " + capacity + " fit");
        }
    }
}
