package org.smpcluster.nanokernel;

import java.util.List;

import org.apache.felix.service.command.Descriptor;
import org.smpcluster.api.nanokernel.DeviceInfo;
import org.smpcluster.api.nanokernel.DeviceManager;

/** The {@code device} Gogo commands: the device table and attribution (adding, moving on the root). */
public final class DeviceCommands {

    static final String[] FUNCTIONS = {"list", "add", "assign", "move", "unassign", "raise"};

    private final DeviceManager devices;

    DeviceCommands(DeviceManager devices) {
        this.devices = devices;
    }

    @Descriptor("list devices: on the root the whole table, elsewhere this vnode's own")
    public String list() {
        return format(devices.devices());
    }

    @Descriptor("add a device to the root's table, unassigned")
    public String add(@Descriptor("PCI-style address, e.g. 0000:00:04.0") String address,
            @Descriptor("class: storage, net, console, ...") String deviceClass,
            @Descriptor("name") String name,
            @Descriptor("backing resource: a host directory, tcp:PORT, ...") String backing) {
        DeviceInfo d = devices.add(address, deviceClass, name, backing);
        return "added " + d.address() + " (" + d.deviceClass() + " '" + d.name() + "'), vector " + d.vector();
    }

    @Descriptor("give an unassigned device to a vnode, which hot-plugs it")
    public String assign(@Descriptor("device address") String address, @Descriptor("vnode") int vnode) {
        devices.assign(address, vnode);
        return "device " + address + " assigned to vnode " + vnode;
    }

    @Descriptor("move a device to another vnode: hot-unplug on its owner, hot-plug on the target")
    public String move(@Descriptor("device address") String address, @Descriptor("target vnode") int vnode) {
        long start = System.nanoTime();
        devices.move(address, vnode);
        return String.format("device %s moved to vnode %d in %.1f ms", address, vnode,
                (System.nanoTime() - start) / 1e6);
    }

    @Descriptor("root: take a device back from its owner (hot-unplug, acknowledged); nobody owns it after")
    public String unassign(@Descriptor("device address, e.g. 0000:00:04.0") String address) {
        long start = System.nanoTime();
        int owner = devices.devices().stream().filter(d -> d.address().equals(address)).findFirst()
                .map(DeviceInfo::owner).orElse(DeviceInfo.UNASSIGNED);
        devices.unassign(address);
        return owner == DeviceInfo.UNASSIGNED ? "device " + address + " was unassigned already"
                : String.format("device %s taken back from vnode %d in %.1f ms; unassigned", address, owner,
                        (System.nanoTime() - start) / 1e6);
    }

    @Descriptor("raise a device's interrupt on the vnode that owns it")
    public String raise(@Descriptor("device address") String address) {
        devices.raise(address);
        return "raised the interrupt of " + address;
    }

    static String format(List<DeviceInfo> list) {
        StringBuilder out = new StringBuilder(String.format("%-13s %-9s %-16s %-6s %-6s %s%n",
                "ADDRESS", "CLASS", "NAME", "OWNER", "VECTOR", "BACKING"));
        for (DeviceInfo d : list) {
            out.append(String.format("%-13s %-9s %-16s %-6s %-6d %s%n", d.address(), d.deviceClass(), d.name(),
                    d.owner() == DeviceInfo.UNASSIGNED ? "-" : Integer.toString(d.owner()), d.vector(), d.backing()));
        }
        if (list.isEmpty()) {
            out.append("(no devices)\n");
        }
        return out.toString();
    }
}
