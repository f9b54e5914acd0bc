/**
 * The distributed filesystem: one repository on the root vnode and one page cache in shared
 * memory for all vnodes. Implemented by {@code org.smpcluster.vfs}.
 */
@Export
@Version("1.0.0")
package org.smpcluster.api.vfs;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
