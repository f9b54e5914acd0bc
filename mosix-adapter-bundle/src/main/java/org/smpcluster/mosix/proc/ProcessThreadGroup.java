package org.smpcluster.mosix.proc;

import org.smpcluster.mosix.rt.ProcessDeath;

/**
 * A process's threads: its main thread is made in it, and every thread the program makes lands
 * in it (or in a group under it), as Java gives a new thread its creator's group. A thread that
 * ends with an exception ends here: its figures are taken, and its stack trace goes to the
 * process's stderr (or to the program's own default handler), never to the vnode's.
 */
final class ProcessThreadGroup extends ThreadGroup {

    private final VProcess process;

    ProcessThreadGroup(ThreadGroup parent, String name, VProcess process) {
        super(parent, name);
        this.process = process;
    }

    @Override
    public void uncaughtException(Thread t, Throwable e) {
        process.usage().recordCurrent();
        if (e instanceof ProcessDeath || process.dying()) {
            return;
        }
        if (e instanceof OutOfMemoryError) {
            // Java would only end this thread; its process ends, as the OOM killer would end it
            // (the heap is the vnode's, and the rest of the process is likely to fail next).
            // Nothing printed first: printing may need the memory that just ran out.
            process.outOfMemory(t, e);
            return;
        }
        if (t == process.mainThread()) {
            process.mainThrew(e);
            trimLauncherFrames(e);
        }
        Thread.UncaughtExceptionHandler h = process.defaultUncaughtExceptionHandler();
        if (h != null) {
            h.uncaughtException(t, e);
            return;
        }
        var err = process.stderr();
        err.print("Exception in thread \"" + t.getName() + "\" ");
        e.printStackTrace(err);
        err.flush();
    }

    /**
     * The frames below the program's main (reflection, the runtime's runner) are ours, not the
     * program's: {@code java -cp} shows none, so neither does a process.
     */
    private static void trimLauncherFrames(Throwable e) {
        StackTraceElement[] st = e.getStackTrace();
        int keep = st.length;
        while (keep > 0 && isLauncher(st[keep - 1])) {
            keep--;
        }
        if (keep > 0 && keep < st.length) {
            e.setStackTrace(java.util.Arrays.copyOf(st, keep));
        }
    }

    private static boolean isLauncher(StackTraceElement f) {
        String c = f.getClassName();
        return c.startsWith("jdk.internal.reflect.") || c.equals("java.lang.reflect.Method") || c.equals("java.lang.Thread")
                || c.startsWith("org.smpcluster.mosix.proc.");
    }
}
