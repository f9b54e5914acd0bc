package org.smpcluster.mosix.proc;

import org.smpcluster.api.process.ProcessSpec;

/**
 * A process stopped at a safe point for a move: its spec (with its name and its stdio, the streams
 * its deputy keeps at home) and what it resumes from.
 */
public record Frozen(long pid, int home, ProcessSpec spec, Resume resume) {
}
