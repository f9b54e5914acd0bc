package org.smpcluster.mosix.proc;

/**
 * What a process that moved brings to the vnode it moves to, beside its spec: the state its
 * {@code Migratable} handed over, and the totals it had run up, so that ps shows one process.
 * Later captures (a continuation of each thread, the heap the program reaches) ride here too.
 */
public record Resume(byte[] state, long cpuNanos, long allocatedBytes, long startedMillis) {
}
