package org.smpcluster.nanokernel.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.smpcluster.api.nanokernel.DeviceInfo;
import org.smpcluster.api.nanokernel.Portals;
import org.smpcluster.nanokernel.layout.ControlArea;

class DeviceTableTest {

    private final Arena arena = Arena.ofConfined();
    private final DeviceTable table = new DeviceTable(arena.allocate(ControlArea.SIZE, 4096));

    @AfterEach
    void free() {
        arena.close();
    }

    @Test
    void shouldAddDevicesUnassignedEachWithItsOwnVector() {
        DeviceInfo disk = table.add("0000:00:04.0", "storage", "disk0", "/srv/disk0");
        DeviceInfo port = table.add("0000:00:05.0", "net", "port8080", "tcp:8080");

        assertEquals(new DeviceInfo("0000:00:04.0", "storage", "disk0", "/srv/disk0", DeviceInfo.UNASSIGNED,
                Portals.FIRST_DEVICE_VECTOR), disk);
        assertEquals(Portals.FIRST_DEVICE_VECTOR + 1, port.vector());
        assertEquals(List.of(disk, port), table.all());
    }

    @Test
    void shouldRefuseToAssignADeviceAnotherVnodeOwnsNamingTheOwner() {
        table.add("0000:00:04.0", "storage", "disk0", "/srv/disk0");
        assertTrue(table.assign("0000:00:04.0", 1));
        assertFalse(table.assign("0000:00:04.0", 1), "assigning to its owner changes nothing");

        IllegalStateException e = assertThrows(IllegalStateException.class, () -> table.assign("0000:00:04.0", 2));

        assertEquals("device 0000:00:04.0 ('disk0') is owned by vnode 1; move it instead of assigning it",
                e.getMessage());
    }

    @Test
    void shouldHideAMovingDeviceFromItsOldOwnerUntilTheMoveEnds() {
        table.add("0000:00:04.0", "storage", "disk0", "/srv/disk0");
        table.assign("0000:00:04.0", 1);

        assertEquals(1, table.beginMove("0000:00:04.0", 2));
        assertEquals(List.of(), table.ownedBy(1));
        assertEquals(List.of(), table.ownedBy(2));
        assertThrows(IllegalStateException.class, () -> table.beginMove("0000:00:04.0", 3));

        table.finishMove("0000:00:04.0");
        assertEquals(2, table.ownedBy(2).get(0).owner());
    }

    @Test
    void shouldGiveADeviceBackWhenAMoveIsAborted() {
        table.add("0000:00:04.0", "storage", "disk0", "/srv/disk0");
        table.assign("0000:00:04.0", 1);
        table.beginMove("0000:00:04.0", 2);

        table.abortMove("0000:00:04.0");

        assertEquals(1, table.ownedBy(1).size());
    }

    @Test
    void shouldUnassignTheDevicesOfADeadVnode() {
        table.add("0000:00:04.0", "storage", "disk0", "/srv/disk0");
        table.add("0000:00:05.0", "net", "port", "tcp:8080");
        table.assign("0000:00:04.0", 3);
        table.assign("0000:00:05.0", 4);

        assertEquals(List.of("0000:00:04.0"), table.reclaim(3));
        assertEquals(DeviceInfo.UNASSIGNED, table.all().get(0).owner());
        assertEquals(4, table.all().get(1).owner());
    }

    @Test
    void shouldRememberWhomADeviceWasReclaimedFromUntilItIsGivenToSomebody() {
        table.add("0000:00:05.0", "net", "port", "tcp:8080");
        table.add("0000:00:04.0", "storage", "disk0", "/srv/disk0");
        table.add("0000:00:06.0", "storage", "disk1", "/srv/disk1");
        table.assign("0000:00:05.0", 2);
        table.assign("0000:00:04.0", 2);
        table.assign("0000:00:06.0", 2);

        // The case: moved away from vnode 2 before it died; that one stays away.
        table.beginMove("0000:00:06.0", 1);
        table.finishMove("0000:00:06.0");
        table.reclaim(2);

        assertEquals(List.of("0000:00:04.0", "0000:00:05.0"), table.reclaimed(2), "in address order");
        assertEquals(List.of(), table.reclaimed(1));

        table.assign("0000:00:04.0", 3);
        assertEquals(List.of("0000:00:05.0"), table.reclaimed(2), "given to somebody: no longer vnode 2's");

        assertEquals(DeviceInfo.UNASSIGNED, table.beginUnassign("0000:00:05.0"));
        assertEquals(List.of(), table.reclaimed(2), "unassigned on purpose: a restart does not take it");
    }

    @Test
    void shouldHideADeviceBeingUnassignedFromItsOwnerThenLeaveItUnassigned() {
        table.add("0000:00:04.0", "storage", "disk0", "/srv/disk0");
        table.assign("0000:00:04.0", 1);

        assertEquals(1, table.beginUnassign("0000:00:04.0"));
        assertEquals(List.of(), table.ownedBy(1), "its owner unplugs it");
        assertThrows(IllegalStateException.class, () -> table.beginMove("0000:00:04.0", 2));

        table.finishUnassign("0000:00:04.0");
        assertEquals(DeviceInfo.UNASSIGNED, table.all().get(0).owner());
        assertTrue(table.assign("0000:00:04.0", 2), "free to be given again");
    }

    @Test
    void shouldRefuseMalformedDevices() {
        assertThrows(IllegalArgumentException.class, () -> table.add("00:04.0", "storage", "d", ""));
        assertThrows(IllegalArgumentException.class, () -> table.add("0000:00:04.0", "", "d", ""));
        assertThrows(IllegalArgumentException.class, () -> table.add("0000:00:04.0", "storage", "d", "x".repeat(129)));
        table.add("0000:00:04.0", "storage", "d", "");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> table.add("0000:00:04.0", "net", "e", ""));
        assertEquals("device address 0000:00:04.0 is taken by 'd'", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> table.assign("0000:00:09.0", 1));
    }
}
