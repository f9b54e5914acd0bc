package org.smpcluster.api.vnet;

import java.io.IOException;
import java.net.Inet4Address;
import java.time.Duration;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A reliable, ordered message transport between vnodes, for the clustering layers (process
 * migration, MPI-style jobs): connections carry whole messages, each delivered once and in
 * order, with sequence numbers, acknowledgements, retransmission, flow control and an orderly
 * close. Over UDP on the vnet networks in the reference implementation; a provider may carry it
 * any other way.
 */
@ProviderType
public interface Transport {

    /**
     * Accepts connections to {@code port} on every address of this vnode.
     *
     * @throws IllegalArgumentException if the port is out of 1..65535 or already listened on
     */
    TransportListener listen(int port);

    /**
     * Opens a connection to {@code port} at {@code address}.
     *
     * @throws java.net.ConnectException if nothing listens there (reset) or nothing answered in time
     * @throws java.net.NoRouteToHostException if no network of this vnode holds the address
     */
    Connection connect(Inet4Address address, int port, Duration timeout) throws IOException;

    /**
     * After a hot swap of the provider (a new build of its bundle), the connections this vnode
     * had opened with {@link #connect}, continuing where they were; each is returned once.
     * Connections accepted from a listener come back from {@link TransportListener#accept} of
     * a new {@link #listen} of their port. The objects of the old build fail from the swap on.
     */
    java.util.List<Connection> resumed();
}
