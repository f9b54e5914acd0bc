package org.smpcluster.run;

import static org.ops4j.pax.exam.CoreOptions.bundle;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;
import static org.ops4j.pax.exam.CoreOptions.frameworkStartLevel;
import static org.ops4j.pax.exam.CoreOptions.junitBundles;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.ops4j.pax.exam.Option;

/** Pax Exam options that boot exactly the kernel image's bundles as the root of a test cluster. */
final class ImageOptions {

    private ImageOptions() {
    }

    /** The physical memory file of {@code cluster}. */
    static String physmemOf(String cluster) {
        return "/dev/shm/smpcluster-" + cluster;
    }

    /**
     * Kills every vnode process of the cluster whose physical memory file is {@code physmem}
     * (after a test class, whatever happened in it: the root removes the file when it stops).
     */
    static void killVnodes(String physmem) {
        ProcessHandle.allProcesses()
                .filter(p -> p.info().arguments().map(a -> List.of(a).contains(physmem)).orElse(false))
                .forEach(ProcessHandle::destroyForcibly);
    }

    static List<Option> root(String cluster, String physmem) {
        List<Option> options = new ArrayList<>();
        for (KernelImage.ImageBundle b : KernelImage.extractRunBundles(Path.of("target", "image-bundles"))) {
            options.add(bundle(b.file().toUri().toString()).startLevel(b.startLevel()));
        }
        options.add(frameworkStartLevel(KernelImage.beginningStartLevel()));
        // The image's Gogo shell would read the test JVM's stdin, see EOF and stop the framework.
        options.add(frameworkProperty("gosh.args").value("--nointeractive --noshutdown --quiet"));
        // Its own cluster: a developer's running cluster must not be in the way.
        options.add(frameworkProperty("smpcluster.cluster").value(cluster));
        options.add(frameworkProperty("smpcluster.physmem.size").value(physmem));
        options.add(frameworkProperty("smpcluster.image").value(KernelImage.jar().toString()));
        options.add(junitBundles());
        return options;
    }
}
