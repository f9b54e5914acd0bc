package org.smpcluster.nanokernel.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.smpcluster.api.nanokernel.DeviceInfo;
import org.smpcluster.nanokernel.Kernel;

/** The root's device manager against vnodes that are not running. */
class DevicesTest {

    @TempDir
    Path dir;

    @Test
    void shouldRefuseToGiveADeviceToAVnodeThatIsNeitherRunningNorBooting() {
        try (Kernel root = Kernel.boot(Kernel.Config.root(dir, "devices", 16L << 20))) {
            root.devices().add("0000:00:04.0", "storage", "disk0", "/srv/disk0");

            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> root.devices().assign("0000:00:04.0", 9));
            assertEquals("vnode 9 is FREE, neither running nor booting: nobody would plug device 0000:00:04.0; "
                    + "assign it to a joined vnode (nk:vnodes) or boot vnode 9 with it (kmb:boot -d 0000:00:04.0)",
                    e.getMessage());
            assertEquals(DeviceInfo.UNASSIGNED, root.devices().devices().get(0).owner());

            root.regions().allocate(9, 1L << 20); // the bootloader's step 1: vnode 9 is booting
            root.devices().assign("0000:00:04.0", 9); // its step 5
            assertEquals(9, root.devices().devices().get(0).owner());
        }
    }

    @Test
    void shouldUnassignADeviceOfAVnodeThatIsNotRunningAtOnce() {
        try (Kernel root = Kernel.boot(Kernel.Config.root(dir, "devices2", 16L << 20))) {
            root.devices().add("0000:00:04.0", "storage", "disk0", "/srv/disk0");
            root.regions().allocate(9, 1L << 20);
            root.devices().assign("0000:00:04.0", 9);

            root.devices().unassign("0000:00:04.0"); // nobody to acknowledge: no 5 s wait

            assertEquals(DeviceInfo.UNASSIGNED, root.devices().devices().get(0).owner());
            assertThrows(IllegalArgumentException.class, () -> root.devices().unassign("0000:00:09.0"));
            assertEquals(List.of(), root.devices().reclaimed(9));
        }
    }

    @Test
    void shouldUnassignTheRootsOwnDeviceWithItsOwnHotUnplug() {
        try (Kernel root = Kernel.boot(Kernel.Config.root(dir, "devices3", 16L << 20))) {
            List<String> unplugged = new java.util.concurrent.CopyOnWriteArrayList<>();
            root.devices().listen(new Devices.Listener() {
                @Override
                public void plugged(DeviceInfo device) {
                }

                @Override
                public void unplugged(DeviceInfo device) {
                    unplugged.add(device.address());
                }
            });
            root.devices().add("0000:00:04.0", "storage", "disk0", "/srv/disk0");
            root.devices().assign("0000:00:04.0", 0);

            root.devices().unassign("0000:00:04.0");

            assertEquals(List.of("0000:00:04.0"), unplugged);
            assertEquals(DeviceInfo.UNASSIGNED, root.devices().devices().get(0).owner());
        }
    }
}
