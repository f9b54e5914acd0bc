/**
 * Virtual Ethernet NICs on shared-memory wires with software CSMA/CD, and the transport the
 * clustering layers build on. Implemented by {@code org.smpcluster.vnet}.
 */
@Export
@Version("1.1.0")
package org.smpcluster.api.vnet;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
