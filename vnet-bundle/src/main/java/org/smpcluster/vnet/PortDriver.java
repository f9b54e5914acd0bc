package org.smpcluster.vnet;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.smpcluster.api.nanokernel.Device;
import org.smpcluster.api.nanokernel.DeviceInfo;
import org.smpcluster.api.nanokernel.Nanokernel;

/**
 * The driver of external network port devices ({@code device.class=net}, backing
 * {@code tcp:PORT}): while this vnode owns such a device it serves the host's TCP port (on the
 * loopback address), answering each connection with which vnode serves it. When the device
 * moves away the port is closed here, and the new owner's driver opens it.
 */
@Component(configurationPolicy = ConfigurationPolicy.IGNORE, immediate = true, service = {})
public final class PortDriver {

    private static final System.Logger LOG = System.getLogger(PortDriver.class.getName());

    private final Nanokernel nanokernel;
    private final Map<String, ServerSocket> serving = new ConcurrentHashMap<>();

    @Activate
    public PortDriver(@Reference Nanokernel nanokernel) {
        this.nanokernel = nanokernel;
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            target = "(" + Device.CLASS + "=net)")
    void plug(Device device) {
        DeviceInfo d = device.info();
        if (!d.backing().startsWith("tcp:")) {
            LOG.log(Level.WARNING, "net device " + d.address() + " has backing '" + d.backing()
                    + "'; this driver serves tcp:PORT only");
            return;
        }
        int port = Integer.parseInt(d.backing().substring(4));
        try {
            ServerSocket server = new ServerSocket(port, 16, InetAddress.getLoopbackAddress());
            server.setReuseAddress(true);
            serving.put(d.address(), server);
            Thread.ofVirtual().name("port-" + port).start(() -> serve(server, d));
            LOG.log(Level.INFO, "vnode " + nanokernel.vnodeId() + " serves tcp port " + port + " for device "
                    + d.address());
        } catch (IOException e) {
            throw new UncheckedIOException("vnode " + nanokernel.vnodeId() + " cannot serve tcp port " + port
                    + " for device " + d.address(), e);
        }
    }

    void unplug(Device device) {
        ServerSocket server = serving.remove(device.info().address());
        if (server != null) {
            close(server);
        }
    }

    private void serve(ServerSocket server, DeviceInfo d) {
        byte[] hello = ("smpcluster vnode " + nanokernel.vnodeId() + " serves device " + d.address() + "\n")
                .getBytes(StandardCharsets.UTF_8);
        while (!server.isClosed()) {
            try (Socket client = server.accept(); OutputStream out = client.getOutputStream()) {
                out.write(hello);
            } catch (IOException e) {
                if (!server.isClosed()) {
                    LOG.log(Level.WARNING, "port " + server.getLocalPort() + ": " + e.getMessage());
                }
            }
        }
    }

    @Deactivate
    void deactivate() {
        serving.values().forEach(PortDriver::close);
        serving.clear();
    }

    private static void close(ServerSocket server) {
        try {
            server.close();
        } catch (IOException e) {
            LOG.log(Level.WARNING, "cannot close port " + server.getLocalPort(), e);
        }
    }
}
