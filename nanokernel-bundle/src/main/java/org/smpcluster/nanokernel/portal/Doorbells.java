package org.smpcluster.nanokernel.portal;

import java.lang.foreign.MemorySegment;

import org.smpcluster.api.nanokernel.Nanokernel;
import org.smpcluster.api.nanokernel.Portals;
import org.smpcluster.nanokernel.layout.ControlArea;
import org.smpcluster.nanokernel.layout.DoorbellDescriptor;

/**
 * Rings doorbells: the raising side of portals. Lock-free and allocation-free; callable from
 * any thread of any vnode.
 */
public final class Doorbells implements Portals {

    private final MemorySegment physmem;
    private final MemorySegment[] words = new MemorySegment[Nanokernel.MAX_VNODES];

    public Doorbells(MemorySegment physmem) {
        this.physmem = physmem;
        for (int v = 0; v < Nanokernel.MAX_VNODES; v++) {
            words[v] = Futex.word(physmem, ControlArea.doorbell(v) + DoorbellDescriptor.WORD_OFFSET);
        }
    }

    @Override
    public void raise(int vnode, int vector) {
        if (vnode < 0 || vnode >= Nanokernel.MAX_VNODES) {
            throw new IllegalArgumentException("vnode=" + vnode + " is outside 0.." + (Nanokernel.MAX_VNODES - 1));
        }
        if (vector < 0 || vector >= VECTORS) {
            throw new IllegalArgumentException("vector=" + vector + " is outside 0.." + (VECTORS - 1));
        }
        if (DoorbellDescriptor.ring(physmem, ControlArea.doorbell(vnode), vector)) {
            Futex.wake(words[vnode], 1);
        }
    }
}
