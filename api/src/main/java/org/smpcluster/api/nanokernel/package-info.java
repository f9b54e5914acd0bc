/**
 * The nanokernel beneath every vnode (the paper's Adeos layer): physical memory, bridges,
 * portals, the interrupt pipeline, device attribution and the distributed sharing protocol.
 * Implemented by {@code org.smpcluster.nanokernel}; the only code that touches shared "hardware".
 */
@Export
@Version("1.1.0")
package org.smpcluster.api.nanokernel;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
