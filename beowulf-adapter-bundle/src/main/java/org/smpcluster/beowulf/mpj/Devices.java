package org.smpcluster.beowulf.mpj;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Map;

import org.smpcluster.beowulf.mpj.hub.Hub;

/** Opens the device a rank's environment names (see the package documentation for the variables). */
public final class Devices {

    private Devices() {
    }

    /** The device for this rank: the hub-bound environment first, then the process environment. */
    public static Device open() {
        Map<String, String> env = Hub.environment();
        return open(env != null ? env : System.getenv());
    }

    /**
     * The device {@code env} describes.
     *
     * @throws IllegalArgumentException naming the variable that is missing or wrong
     */
    public static Device open(Map<String, String> env) {
        String dev = env.getOrDefault("MPJ_DEV", "local");
        String job = env.get("MPJ_JOB");
        String host = env.getOrDefault("MPJ_HOST", hostName());
        if (job == null && env.get("MPJ_RANK") == null && env.get("MPJ_SIZE") == null) {
            // Not started by a launcher: a job of one rank, as mpiJava runs a plain `java Main`.
            return new LocalDevice(Hub.singleton(), 0, host);
        }
        if (job == null) {
            throw new IllegalArgumentException("MPJ_JOB is not set (the launcher sets MPJ_JOB, MPJ_RANK and MPJ_SIZE)");
        }
        int size = number(env, "MPJ_SIZE");
        int rank = number(env, "MPJ_RANK");
        if (!dev.equals("local")) {
            throw new IllegalArgumentException("MPJ_DEV=" + dev + " is not a device here; allowed: local");
        }
        return new LocalDevice(Hub.job(job, size), rank, host);
    }

    private static int number(Map<String, String> env, String name) {
        String v = env.get(name);
        if (v == null) {
            throw new IllegalArgumentException(name + " is not set");
        }
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + "=" + v + " is not a number", e);
        }
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "localhost";
        }
    }
}
