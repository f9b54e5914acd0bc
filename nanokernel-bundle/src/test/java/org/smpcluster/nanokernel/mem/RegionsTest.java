package org.smpcluster.nanokernel.mem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.smpcluster.api.nanokernel.MemoryRegion;
import org.smpcluster.nanokernel.Kernel;
import org.smpcluster.nanokernel.layout.VnodeTableDescriptor;

class RegionsTest {

    @TempDir
    Path dir;

    @Test
    void shouldLeaveAVnodeWhoseBootFailedFailedNotBooting() {
        try (Kernel root = Kernel.boot(Kernel.Config.root(dir, "regions", 16L << 20))) {
            MemoryRegion region = root.regions().allocate(2, 1L << 20);
            assertEquals(VnodeTableDescriptor.State.BOOTING, VnodeTableDescriptor.state(root.physmem().segment(), 2));

            region.free(); // the boot gave up before the vnode joined (step 5 refused, say)

            assertEquals(VnodeTableDescriptor.State.FAILED, VnodeTableDescriptor.state(root.physmem().segment(), 2));
            assertNull(root.regions().region(2));
            root.regions().allocate(2, 1L << 20);
            assertEquals(VnodeTableDescriptor.State.BOOTING, VnodeTableDescriptor.state(root.physmem().segment(), 2),
                    "booting again");
        }
    }
}
