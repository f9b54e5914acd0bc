package org.smpcluster.nanokernel.dsp;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import org.smpcluster.nanokernel.layout.ControlArea;
import org.smpcluster.nanokernel.layout.DspRingDescriptor;

/** Fault injection for the test suite: garbage where the DSP expects messages. */
public final class DspFaults {

    private DspFaults() {
    }

    /**
     * Garbles vnode {@code vnode}'s request ring as a wild write would: a negative head (the
     * root's counter, which the ring's code must never use as an index) and every slot
     * scribbled over with a bad version, type, length and id. The root resets the ring or
     * refuses each slot when it next drains it.
     */
    public static void garbleRequests(MemorySegment physmem, int vnode) {
        MemorySegment ring = physmem.asSlice(ControlArea.dspRequests(vnode), DspRingDescriptor.LENGTH);
        for (int slot = 0; slot < DspRingDescriptor.SLOTS; slot++) {
            long at = DspRingDescriptor.slot(slot);
            ring.asSlice(at, DspRingDescriptor.SLOT_LENGTH).fill((byte) 0xA5);
            ring.set(ValueLayout.JAVA_INT, at + DspRingDescriptor.PAYLOAD_LENGTH_OFFSET, -7);
        }
        DspRingDescriptor.head(ring, -5);
    }
}
