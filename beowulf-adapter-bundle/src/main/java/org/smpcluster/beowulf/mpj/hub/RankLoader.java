package org.smpcluster.beowulf.mpj.hub;

import java.net.URL;
import java.net.URLClassLoader;

/**
 * Makes the class loader of one rank: its own copy of every class on {@code classPath} (so the
 * {@code mpi} statics are the rank's), except this hub package, which comes from the loader that
 * loaded the hub, so all ranks of a JVM meet in one {@link Hub}.
 */
public final class RankLoader {

    private static final String HUB = RankLoader.class.getPackageName() + ".";

    private RankLoader() {
    }

    /** A loader for one rank over {@code classPath}. */
    public static URLClassLoader create(String name, URL[] classPath) {
        return new URLClassLoader(name, classPath, new HubOnly(RankLoader.class.getClassLoader()));
    }

    /** Sees the JDK and the hub package, nothing else, so everything else is loaded per rank. */
    private static final class HubOnly extends ClassLoader {

        private final ClassLoader hub;

        HubOnly(ClassLoader hub) {
            super("mpj-hub", ClassLoader.getPlatformClassLoader());
            this.hub = hub;
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            if (name.startsWith(HUB)) {
                return hub.loadClass(name);
            }
            return super.loadClass(name, resolve);
        }
    }
}
