package org.smpcluster.nanokernel.layout;

import org.smpcluster.api.nanokernel.Nanokernel;

/**
 * The map of the control area at the start of physical memory. Every structure in it has its
 * own descriptor; this class only says where each one starts.
 *
 * <pre>
 *  offset    size      structure                     descriptor
 *  0         4 KiB     header                        {@link HeaderDescriptor}
 *  4096      4 KiB     vnode table, 16 x 256 B       {@link VnodeTableDescriptor}
 *  8192      32 KiB    bridge directory, 256 x 128 B {@link BridgeDirectoryDescriptor}
 *  40960     16 KiB    doorbells, 16 x 1 KiB         {@link DoorbellDescriptor}
 *  57344     16 KiB    device table, 32 x 256 B     {@link DeviceTableDescriptor}
 *  73728     128 KiB   DSP rings, 16 x 2 x 4 KiB     {@link DspRingDescriptor}
 *  204800    ...       (reserved to 256 KiB)
 *  262144    ...       allocatable: vnode memory and bridges, in pages
 * </pre>
 */
public final class ControlArea {

    public static final int PAGE_SIZE = 4096;

    public static final long VNODE_TABLE_OFFSET = HeaderDescriptor.LENGTH;
    public static final long BRIDGE_DIRECTORY_OFFSET = VNODE_TABLE_OFFSET + VnodeTableDescriptor.LENGTH;
    public static final long DOORBELLS_OFFSET = BRIDGE_DIRECTORY_OFFSET + BridgeDirectoryDescriptor.LENGTH;
    public static final long DEVICE_TABLE_OFFSET = DOORBELLS_OFFSET + (long) DoorbellDescriptor.LENGTH * Nanokernel.MAX_VNODES;
    public static final long DEVICE_TABLE_LENGTH = 16 * 1024;
    public static final long DSP_OFFSET = DEVICE_TABLE_OFFSET + DEVICE_TABLE_LENGTH;
    public static final long DSP_LENGTH = 2L * DspRingDescriptor.LENGTH * Nanokernel.MAX_VNODES;
    /** The control area's size; physical memory from here on is the allocator's. */
    public static final long SIZE = 256 * 1024;

    static {
        if (DSP_OFFSET + DSP_LENGTH > SIZE) {
            throw new AssertionError("control area overflows: ends at " + (DSP_OFFSET + DSP_LENGTH));
        }
    }

    private ControlArea() {
    }

    /** Where vnode {@code vnode}'s doorbell starts. */
    public static long doorbell(int vnode) {
        return DOORBELLS_OFFSET + (long) vnode * DoorbellDescriptor.LENGTH;
    }

    /** Where the ring carrying vnode {@code vnode}'s requests to the root starts. */
    public static long dspRequests(int vnode) {
        return DSP_OFFSET + 2L * vnode * DspRingDescriptor.LENGTH;
    }

    /** Where the ring carrying the root's responses to vnode {@code vnode} starts. */
    public static long dspResponses(int vnode) {
        return dspRequests(vnode) + DspRingDescriptor.LENGTH;
    }
}
