package org.smpcluster.api.vnet;

import org.osgi.annotation.versioning.ProviderType;

/** A port accepting {@link Transport} connections. */
@ProviderType
public interface TransportListener extends AutoCloseable {

    int port();

    /** The next connection made to this port, or null if none within {@code timeout}. */
    Connection accept(java.time.Duration timeout) throws InterruptedException;

    /** Stops accepting; connections already accepted go on. */
    @Override
    void close();
}
