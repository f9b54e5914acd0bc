package org.smpcluster.nanokernel.portal;

import java.lang.foreign.MemorySegment;

import org.smpcluster.api.nanokernel.Nanokernel;
import org.smpcluster.api.nanokernel.Portals;
import org.smpcluster.nanokernel.layout.ControlArea;
import org.smpcluster.nanokernel.layout.DoorbellDescriptor;
import org.smpcluster.nanokernel.layout.Shm;

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
        long bell = ControlArea.doorbell(vnode);
        // The hit first, then the summary bit, then the word: whoever sees the word move finds both.
        Shm.getAndAddLong(physmem, bell + DoorbellDescriptor.pending(vector), 1);
        Shm.getAndBitwiseOrLong(physmem, bell + DoorbellDescriptor.SUMMARY_OFFSET, 1L << vector);
        Shm.getAndAddInt(physmem, bell + DoorbellDescriptor.WORD_OFFSET, 1);
        // Dekker with the waiter: it sets 'waiting' then re-reads the word; we bumped the word
        // then read 'waiting'. Both are full fences, so one of us sees the other.
        if (Shm.getIntVolatile(physmem, bell + DoorbellDescriptor.WAITING_OFFSET) != 0) {
            Futex.wake(words[vnode], 1);
        }
    }
}
