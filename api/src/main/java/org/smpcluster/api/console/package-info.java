/**
 * Per-vnode consoles: an N_TTY line discipline over a local bridge, which the root can attach
 * to. Implemented by {@code org.smpcluster.console}.
 */
@Export
@Version("1.1.0")
package org.smpcluster.api.console;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
