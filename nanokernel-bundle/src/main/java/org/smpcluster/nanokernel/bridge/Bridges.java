package org.smpcluster.nanokernel.bridge;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.smpcluster.api.nanokernel.Bridge;
import org.smpcluster.api.nanokernel.BridgeAccessException;
import org.smpcluster.api.nanokernel.BridgeInfo;
import org.smpcluster.api.nanokernel.BridgeManager;
import org.smpcluster.api.nanokernel.Nanokernel;
import org.smpcluster.api.nanokernel.OutOfPhysicalMemoryException;
import org.smpcluster.nanokernel.dsp.DspClient;
import org.smpcluster.nanokernel.dsp.DspException;
import org.smpcluster.nanokernel.dsp.Message;
import org.smpcluster.nanokernel.layout.BridgeDirectoryDescriptor.Entry;

/**
 * A vnode's bridge manager. On the root it calls the {@link BridgeTable} directly; on other
 * vnodes it asks the root over the DSP. Each vnode counts its own handles per bridge and tells
 * the root only when its last handle closes.
 */
public final class Bridges implements BridgeManager {

    private static final Pattern OOM =
            Pattern.compile("asked for (\\d+) bytes, largest free extent is (\\d+) bytes, (\\d+) bytes free");

    private final int vnode;
    private final MemorySegment physmem;
    private final BridgeTable table;
    private final DspClient dsp;
    /** Open handles per directory index, on this vnode. */
    private final Map<Integer, Integer> handles = new HashMap<>();

    /** The root's manager. */
    public static Bridges root(MemorySegment physmem, BridgeTable table) {
        return new Bridges(Nanokernel.ROOT, physmem, table, null);
    }

    /** A joiner's manager, talking to the root over {@code dsp}. */
    public static Bridges joiner(int vnode, MemorySegment physmem, DspClient dsp) {
        return new Bridges(vnode, physmem, null, dsp);
    }

    private Bridges(int vnode, MemorySegment physmem, BridgeTable table, DspClient dsp) {
        this.vnode = vnode;
        this.physmem = physmem;
        this.table = table;
        this.dsp = dsp;
    }

    @Override
    public Bridge open(String name, long size) {
        return openBridge(Bridge.GLOBAL, name, size);
    }

    @Override
    public Bridge open(int owner, String name, long size) {
        if (owner < 0 || owner >= Nanokernel.MAX_VNODES) {
            throw new IllegalArgumentException("vnode=" + owner + " is outside 0.." + (Nanokernel.MAX_VNODES - 1)
                    + "; use open(name, size) for a global bridge");
        }
        return openBridge(owner, name, size);
    }

    private Bridge openBridge(int owner, String name, long size) {
        BridgeTable.Opened opened;
        try {
            opened = table != null ? table.open(vnode, owner, name, size) : openRemote(owner, name, size);
        } catch (DspException e) {
            throw translate(e);
        }
        synchronized (handles) {
            handles.merge(opened.index(), 1, Integer::sum);
        }
        return new Handle(opened, owner, name, physmem.asSlice(opened.offset(), opened.size()));
    }

    private BridgeTable.Opened openRemote(int owner, String name, long size) {
        byte[] utf8 = name.getBytes(StandardCharsets.UTF_8);
        ByteBuffer request = Message.payload(12 + utf8.length).putInt(owner).putLong(size).put(utf8);
        ByteBuffer answer = dsp.call(Message.BRIDGE_OPEN, request.array()).body();
        return new BridgeTable.Opened(answer.getInt(), answer.getLong(), answer.getLong(), answer.getInt());
    }

    /** The root's handler for {@link Message#BRIDGE_OPEN}. */
    public static byte[] serveOpen(BridgeTable table, int requester, Message request) {
        ByteBuffer body = request.body();
        int owner = body.getInt();
        long size = body.getLong();
        byte[] utf8 = new byte[body.remaining()];
        body.get(utf8);
        BridgeTable.Opened o = table.open(requester, owner, new String(utf8, StandardCharsets.UTF_8), size);
        return Message.payload(24).putInt(o.index()).putLong(o.offset()).putLong(o.size()).putInt(o.generation())
                .array();
    }

    /** The root's handler for {@link Message#BRIDGE_CLOSE}. */
    public static byte[] serveClose(BridgeTable table, int requester, Message request) {
        table.close(requester, request.body().getInt());
        return new byte[0];
    }

    private void release(int index) {
        synchronized (handles) {
            int left = handles.merge(index, -1, Integer::sum);
            if (left > 0) {
                return;
            }
            handles.remove(index);
        }
        if (table != null) {
            table.close(vnode, index);
        } else {
            dsp.call(Message.BRIDGE_CLOSE, Message.payload(4).putInt(index).array());
        }
    }

    @Override
    public List<BridgeInfo> bridges() {
        List<BridgeInfo> infos = new ArrayList<>();
        for (Entry e : BridgeTable.active(physmem)) {
            Set<Integer> users = new HashSet<>();
            for (int v = 0; v < Nanokernel.MAX_VNODES; v++) {
                if ((e.users() & (1L << v)) != 0) {
                    users.add(v);
                }
            }
            infos.add(new BridgeInfo(e.name(), e.owner(), e.offset(), e.size(), users));
        }
        return infos;
    }

    /** The API's exception for a refusal from the root. */
    static RuntimeException translate(DspException e) {
        return switch (e.status()) {
            case Message.EACCES -> new BridgeAccessException(e.getMessage());
            case Message.ENOMEM -> {
                Matcher m = OOM.matcher(e.getMessage());
                yield m.find()
                        ? new OutOfPhysicalMemoryException(Long.parseLong(m.group(1)), Long.parseLong(m.group(2)),
                                Long.parseLong(m.group(3)))
                        : new IllegalStateException(e.getMessage(), e);
            }
            case Message.EINVAL -> new IllegalArgumentException(e.getMessage(), e);
            default -> new IllegalStateException(e.getMessage(), e);
        };
    }

    /** One user's reference to a bridge. */
    private final class Handle implements Bridge {
        private final BridgeTable.Opened opened;
        private final int owner;
        private final String name;
        private final MemorySegment segment;
        private final AtomicBoolean open = new AtomicBoolean(true);

        Handle(BridgeTable.Opened opened, int owner, String name, MemorySegment segment) {
            this.opened = opened;
            this.owner = owner;
            this.name = name;
            this.segment = segment;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public int owner() {
            return owner;
        }

        @Override
        public long size() {
            return opened.size();
        }

        @Override
        public MemorySegment segment() {
            if (!open.get()) {
                throw new IllegalStateException("bridge '" + name + "' is closed");
            }
            return segment;
        }

        @Override
        public void close() {
            if (open.compareAndSet(true, false)) {
                release(opened.index());
            }
        }

        @Override
        public String toString() {
            return "bridge '" + name + "' (" + (owner == GLOBAL ? "global" : "vnode " + owner) + ", " + size()
                    + " bytes)";
        }
    }
}
