/**
 * Processes on a vnode's kernel: Java programs (a jar, or a class path of jars and directories)
 * each run by a class loader of its own inside the vnode's JVM, with its own thread group,
 * arguments, working directory, environment, stdio, exit status and a PID unique in the whole
 * cluster. {@link org.smpcluster.api.process.ProcessManager} starts and controls them;
 * {@link org.smpcluster.api.process.ThisProcess} and
 * {@link org.smpcluster.api.process.Migratable} are for programs that want more than an
 * unmodified program gets (their own signal handlers, state that can move). Implemented by
 * {@code org.smpcluster.mosix}.
 */
@Export
@Version("1.1.0")
package org.smpcluster.api.process;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
