/**
 * The distributed filesystem: one repository on the root vnode and one page cache in shared
 * memory for all vnodes. Programs use it through {@code java.nio.file} ({@link Vfs#fileSystem()},
 * paths such as {@code vfs:/tmp/x}) and map file ranges with {@link Vfs#map}. Implemented by
 * {@code org.smpcluster.vfs}.
 */
@Export
@Version("1.1.0")
package org.smpcluster.api.vfs;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
