/**
 * What makes the vnodes one cluster: the components of the kernel image, and (later) the
 * MOSIX-style and Beowulf-style layers. Implemented by every smpcluster bundle
 * ({@link org.smpcluster.api.cluster.KernelComponent}) and by {@code org.smpcluster.mosix} and
 * {@code org.smpcluster.beowulf}.
 */
@Export
@Version("1.0.0")
package org.smpcluster.api.cluster;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
