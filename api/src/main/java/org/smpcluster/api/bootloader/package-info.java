/**
 * The kernel-mode bootloader (KMB): boots, stops and restarts vnodes from a running vnode,
 * and the vnode lifecycle around it. Implemented by {@code org.smpcluster.bootloader}.
 */
@Export
@Version("1.1.0")
package org.smpcluster.api.bootloader;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
