package org.smpcluster.nanokernel.device;

import java.lang.System.Logger.Level;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiFunction;

import org.smpcluster.api.nanokernel.DeviceInfo;
import org.smpcluster.api.nanokernel.DeviceManager;
import org.smpcluster.api.nanokernel.Nanokernel;
import org.smpcluster.api.nanokernel.Portals;
import org.smpcluster.nanokernel.dsp.DspClient;
import org.smpcluster.nanokernel.dsp.Message;
import org.smpcluster.nanokernel.dsp.RootGoneException;
import org.smpcluster.nanokernel.layout.VnodeTableDescriptor;

/**
 * A vnode's devices. Every vnode keeps the set it has plugged and re-syncs it with the root
 * when the root rings {@link Portals#VECTOR_HOTPLUG}: devices the root no longer lists are
 * unplugged (then acknowledged), new ones plugged (then acknowledged). A {@link Listener} (the
 * OSGi side) turns plug and unplug into service registrations. The root also orchestrates moves
 * and answers the DSP.
 *
 * <p>Syncing talks to the root over the DSP, whose answers arrive on the interrupt thread, so it
 * runs on a thread of its own, never on the interrupt thread.
 */
public final class Devices implements DeviceManager {

    /** Told when a device arrives on or leaves this vnode. */
    public interface Listener {
        void plugged(DeviceInfo device);

        void unplugged(DeviceInfo device);
    }

    private static final System.Logger LOG = System.getLogger(Devices.class.getName());
    private static final Listener NOBODY = new Listener() {
        @Override
        public void plugged(DeviceInfo device) {
        }

        @Override
        public void unplugged(DeviceInfo device) {
        }
    };

    private final int vnode;
    private final MemorySegment physmem;
    private final DeviceTable table;
    private final DspClient dsp;
    private final Portals portals;
    private final Duration timeout;
    private final ExecutorService hotplug;
    private final Map<String, DeviceInfo> plugged = new LinkedHashMap<>();
    private final Map<String, CompletableFuture<Void>> acks = new ConcurrentHashMap<>();
    private Listener listener = NOBODY;

    /** @param threads makes the hot-plug thread (a kernel thread: the vnode panics if it dies) */
    public Devices(int vnode, MemorySegment physmem, DeviceTable table, DspClient dsp, Portals portals,
            Duration timeout, BiFunction<String, Runnable, Thread> threads) {
        this.vnode = vnode;
        this.physmem = physmem;
        this.table = table;
        this.dsp = dsp;
        this.portals = portals;
        this.timeout = timeout;
        this.hotplug = Executors.newSingleThreadExecutor(r -> threads.apply("vnode-" + vnode + "-hotplug", r));
    }

    /** Sets the listener and tells it of every device plugged already. */
    public synchronized void listen(Listener l) {
        listener = l == null ? NOBODY : l;
        plugged.values().forEach(listener::plugged);
    }

    /** The root rang {@link Portals#VECTOR_HOTPLUG}: re-sync off the interrupt thread. */
    public void onHotplug() {
        hotplug.execute(() -> {
            try {
                sync();
            } catch (RootGoneException e) {
                // The vnode is ending with its root: nothing to plug or acknowledge any more.
                LOG.log(Level.INFO, "vnode " + vnode + ": device hot-plug skipped: " + e.getMessage());
            } catch (RuntimeException e) {
                LOG.log(Level.ERROR, "vnode " + vnode + ": device hot-plug failed", e);
            }
        });
    }

    /** Brings this vnode's devices in line with the root's table, acknowledging each change. */
    public synchronized void sync() {
        Map<String, DeviceInfo> now = new LinkedHashMap<>();
        for (DeviceInfo d : own()) {
            now.put(d.address(), d);
        }
        for (DeviceInfo gone : new ArrayList<>(plugged.values())) {
            if (!now.containsKey(gone.address())) {
                plugged.remove(gone.address());
                listener.unplugged(gone);
                LOG.log(Level.INFO, "vnode " + vnode + ": device " + gone.address() + " unplugged");
                acknowledge(Message.DEVICE_RELEASED, gone.address());
            }
        }
        for (DeviceInfo d : now.values()) {
            if (!plugged.containsKey(d.address())) {
                plugged.put(d.address(), d);
                listener.plugged(d);
                LOG.log(Level.INFO, "vnode " + vnode + ": device " + d.address() + " (" + d.deviceClass() + " '"
                        + d.name() + "') plugged");
                acknowledge(Message.DEVICE_ATTACHED, d.address());
            }
        }
    }

    /** The devices the root says this vnode owns. */
    private List<DeviceInfo> own() {
        if (table != null) {
            return table.ownedBy(vnode);
        }
        List<DeviceInfo> own = new ArrayList<>();
        for (int ordinal = 0; ; ordinal++) {
            ByteBuffer answer = dsp.call(Message.DEVICE_LIST, Message.payload(4).putInt(ordinal).array()).body();
            int total = answer.getInt();
            if (ordinal >= total) {
                return own;
            }
            own.add(new DeviceInfo(string(answer), string(answer), string(answer), string(answer), vnode,
                    answer.getInt()));
        }
    }

    private void acknowledge(int type, String address) {
        if (table != null) {
            ack(type, address);
        } else {
            dsp.call(type, address.getBytes(StandardCharsets.UTF_8));
        }
    }

    /** Root: an acknowledgement arrived (over the DSP or from the root's own sync). */
    private void ack(int type, String address) {
        CompletableFuture<Void> waiting = acks.get(key(type, address));
        if (waiting != null) {
            waiting.complete(null);
        }
    }

    /** Root: the {@link Message#DEVICE_LIST} handler: the requester's n-th device. */
    public byte[] serveList(int requester, Message request) {
        int ordinal = request.body().getInt();
        List<DeviceInfo> own = table.ownedBy(requester);
        ByteBuffer answer = Message.payload(4 + (ordinal < own.size() ? 4 * 256 : 0)).putInt(own.size());
        if (ordinal < own.size()) {
            DeviceInfo d = own.get(ordinal);
            put(answer, d.address());
            put(answer, d.deviceClass());
            put(answer, d.name());
            put(answer, d.backing());
            answer.putInt(d.vector());
        }
        byte[] payload = new byte[answer.position()];
        answer.flip().get(payload);
        return payload;
    }

    /** Root: the {@link Message#DEVICE_RELEASED} and {@link Message#DEVICE_ATTACHED} handler. */
    public byte[] serveAck(int requester, Message request) {
        ack(request.type(), request.text());
        return new byte[0];
    }

    @Override
    public List<DeviceInfo> devices() {
        if (table != null) {
            return table.all();
        }
        synchronized (this) {
            return List.copyOf(plugged.values());
        }
    }

    @Override
    public DeviceInfo add(String address, String deviceClass, String name, String backing) {
        return rootOnly("add a device").add(address, deviceClass, name, backing);
    }

    @Override
    public void assign(String address, int to) {
        DeviceTable t = rootOnly("assign a device");
        if (to < 0 || to >= Nanokernel.MAX_VNODES) {
            throw new IllegalArgumentException("vnode=" + to + " is outside 0.." + (Nanokernel.MAX_VNODES - 1));
        }
        VnodeTableDescriptor.State state = VnodeTableDescriptor.state(physmem, to);
        if (to != Nanokernel.ROOT && state == VnodeTableDescriptor.State.BOOTING) {
            // A vnode being booted: it learns its devices when it joins (the bootloader's step 5).
            t.assign(address, to);
            return;
        }
        if (to != Nanokernel.ROOT && state != VnodeTableDescriptor.State.JOINED) {
            t.find(address); // an unknown address is the first thing to hear about
            throw new IllegalStateException("vnode " + to + " is " + state + ", neither running nor booting: nobody "
                    + "would plug device " + address + "; assign it to a joined vnode (nk:vnodes) or boot vnode " + to
                    + " with it (kmb:boot -d " + address + ")");
        }
        CompletableFuture<Void> attached = expect(Message.DEVICE_ATTACHED, address);
        try {
            if (!t.assign(address, to)) {
                return;
            }
            notify(to);
            await(attached, "vnode " + to + " did not plug device " + address);
        } finally {
            acks.remove(key(Message.DEVICE_ATTACHED, address));
        }
    }

    @Override
    public void move(String address, int to) {
        DeviceTable t = rootOnly("move a device");
        checkRunning(to);
        if (t.find(address).owner() == to) {
            return;
        }
        CompletableFuture<Void> released = expect(Message.DEVICE_RELEASED, address);
        CompletableFuture<Void> attached = expect(Message.DEVICE_ATTACHED, address);
        try {
            int from = t.beginMove(address, to);
            notify(from);
            try {
                await(released, "vnode " + from + " did not release device " + address);
            } catch (IllegalStateException e) {
                t.abortMove(address);
                notify(from); // it owns it again: let it plug it back if it unplugged it
                throw e;
            }
            t.finishMove(address);
            notify(to);
            await(attached, "vnode " + to + " did not plug device " + address + " (it owns it now)");
        } finally {
            acks.remove(key(Message.DEVICE_RELEASED, address));
            acks.remove(key(Message.DEVICE_ATTACHED, address));
        }
    }

    @Override
    public void raise(String address) {
        DeviceInfo d;
        if (table != null) {
            d = DeviceTable.info(table.find(address));
        } else {
            synchronized (this) {
                d = plugged.get(address);
            }
            if (d == null) {
                throw new IllegalArgumentException("vnode " + vnode + " owns no device at " + address);
            }
        }
        if (d.owner() == DeviceInfo.UNASSIGNED) {
            throw new IllegalStateException("device " + address + " is unassigned; nobody takes its interrupts");
        }
        portals.raise(d.owner(), d.vector());
    }

    /**
     * Root: hot-unplug on the owner (acknowledged), then nobody owns it. An owner that is not
     * running (booting, failed) has nothing plugged to unplug: the device is taken at once.
     */
    @Override
    public void unassign(String address) {
        DeviceTable t = rootOnly("unassign a device");
        t.find(address); // an unknown address is refused before anything changes
        CompletableFuture<Void> released = expect(Message.DEVICE_RELEASED, address);
        try {
            int from = t.beginUnassign(address);
            if (from == DeviceInfo.UNASSIGNED) {
                return;
            }
            if (from != Nanokernel.ROOT
                    && VnodeTableDescriptor.state(physmem, from) != VnodeTableDescriptor.State.JOINED) {
                t.finishUnassign(address);
                return;
            }
            notify(from);
            try {
                await(released, "vnode " + from + " did not release device " + address);
            } catch (IllegalStateException e) {
                if (t.find(address).owner() == DeviceInfo.UNASSIGNED) {
                    return; // its owner died meanwhile: the reclaim took it back
                }
                t.abortMove(address);
                notify(from); // it owns it again: let it plug it back if it unplugged it
                throw e;
            }
            t.finishUnassign(address);
        } finally {
            acks.remove(key(Message.DEVICE_RELEASED, address));
        }
    }

    @Override
    public List<String> reclaimed(int vnode) {
        DeviceTable t = rootOnly("tell which devices were reclaimed");
        if (vnode < 0 || vnode >= Nanokernel.MAX_VNODES) {
            throw new IllegalArgumentException("vnode=" + vnode + " is outside 0.." + (Nanokernel.MAX_VNODES - 1));
        }
        return t.reclaimed(vnode);
    }

    /** Root: a vnode died; its devices become unassigned. */
    public List<String> reclaim(int dead) {
        return table.reclaim(dead);
    }

    public void close() {
        hotplug.shutdownNow();
    }

    private void notify(int target) {
        if (target == Nanokernel.ROOT) {
            sync(); // the root's own devices: no portal needed
        } else {
            portals.raise(target, Portals.VECTOR_HOTPLUG);
        }
    }

    private CompletableFuture<Void> expect(int type, String address) {
        CompletableFuture<Void> f = new CompletableFuture<>();
        if (acks.putIfAbsent(key(type, address), f) != null) {
            throw new IllegalStateException("device " + address + " is being assigned or moved already");
        }
        return f;
    }

    private void await(CompletableFuture<Void> f, String what) {
        try {
            f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new IllegalStateException(what + " within " + timeout.toMillis() + " ms", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted: " + what, e);
        } catch (ExecutionException e) {
            throw new IllegalStateException(what, e.getCause());
        }
    }

    private void checkRunning(int target) {
        if (target < 0 || target >= Nanokernel.MAX_VNODES) {
            throw new IllegalArgumentException("vnode=" + target + " is outside 0.." + (Nanokernel.MAX_VNODES - 1));
        }
        VnodeTableDescriptor.State state = VnodeTableDescriptor.state(physmem, target);
        if (state != VnodeTableDescriptor.State.JOINED) {
            throw new IllegalStateException("vnode " + target + " is " + state + ", not running");
        }
    }

    private DeviceTable rootOnly(String what) {
        if (table == null) {
            throw new IllegalStateException("only the root vnode may " + what + "; this is vnode " + vnode);
        }
        return table;
    }

    private static String key(int type, String address) {
        return (type & ~Message.RESPONSE) + "/" + address;
    }

    private static void put(ByteBuffer b, String s) {
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        b.put((byte) utf8.length).put(utf8);
    }

    private static String string(ByteBuffer b) {
        byte[] utf8 = new byte[Byte.toUnsignedInt(b.get())];
        b.get(utf8);
        return new String(utf8, StandardCharsets.UTF_8);
    }
}
