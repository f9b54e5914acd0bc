package org.smpcluster.bootloader;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Collectors;

import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Parameter;
import org.smpcluster.api.bootloader.ClusterConfig;
import org.smpcluster.api.bootloader.RestartPolicy;
import org.smpcluster.api.bootloader.VnodeInfo;
import org.smpcluster.api.bootloader.VnodeSpec;
import org.smpcluster.api.nanokernel.Nanokernel;
import org.smpcluster.api.nanokernel.VnodeState;
import org.smpcluster.bootloader.config.ConfigParser;

/** The {@code kmb} Gogo commands, in the style of Jailhouse's and kerf's command lines. */
public final class KmbCommands {

    static final String[] FUNCTIONS = {"boot", "list", "stop", "restart", "check", "cluster", "log", "threads", "bench"};

    private final Kmb kmb;
    private final Nanokernel nanokernel;

    KmbCommands(Kmb kmb, Nanokernel nanokernel) {
        this.kmb = kmb;
        this.nanokernel = nanokernel;
    }

    @Descriptor("boot a vnode: the paper's seven steps, then wait for it to join")
    public String boot(
            @Descriptor("show each step with its time") @Parameter(names = {"-v", "--verbose"},
                    presentValue = "true", absentValue = "false") boolean verbose,
            @Descriptor("restart policy: always, never, or a number of restarts") @Parameter(
                    names = {"-r", "--restart"}, absentValue = "never") String restart,
            @Descriptor("devices it may use, comma-separated addresses") @Parameter(names = {"-d", "--devices"},
                    absentValue = "") String devices,
            @Descriptor("the kernel image jar to boot (default: the root's own)") @Parameter(
                    names = {"-i", "--image"}, absentValue = "") String image,
            @Descriptor("vnode id, 1..15") int id,
            @Descriptor("host CPUs it is pinned to: 1, 0,2 or 2-3") String cpus,
            @Descriptor("its memory: 64m, 1g") String memory) {
        VnodeSpec spec = new VnodeSpec(id, Cpus.parse(cpus), ConfigParser.parseSize(memory),
                devices.isBlank() ? List.of() : Arrays.asList(devices.split(",")), RestartPolicy.parse(restart),
                image.isBlank() ? null : image);
        VnodeInfo info = kmb.boot(spec, progress(verbose));
        return list(List.of(info));
    }

    @Descriptor("list the vnodes: id, state, CPUs, memory range, devices, pid, uptime, image digest")
    public String list() {
        return list(kmb.vnodes());
    }

    @Descriptor("stop a vnode: it leaves the cluster and is not restarted")
    public String stop(@Descriptor("vnode id") int id) {
        kmb.stop(id);
        return "vnode " + id + " stopped";
    }

    @Descriptor("stop a vnode and boot it again")
    public String restart(
            @Descriptor("show each step with its time") @Parameter(names = {"-v", "--verbose"},
                    presentValue = "true", absentValue = "false") boolean verbose,
            @Descriptor("vnode id") int id) {
        return list(List.of(kmb.restart(id, progress(verbose))));
    }

    @Descriptor("check a cluster configuration file without booting it")
    public String check(@Descriptor("the file") String file) {
        ConfigParser.Checked checked = kmb.checked(Path.of(file));
        ClusterConfig c = checked.config();
        String summary = "cluster '" + c.name() + "': " + c.vnodes().size() + " vnodes, " + c.devices().size()
                + " devices, " + c.networks().size() + " networks, physmem " + Kmb.mib(c.physmem()) + (c.overcommit()
                        ? ", CPUs overcommitted" : "");
        if (!c.name().equals(nanokernel.clusterName())) {
            // Another cluster's file: what this root holds says nothing about it.
            return summary + ": OK (checked for this machine; this root runs cluster '" + nanokernel.clusterName()
                    + "', boot it with ./smpcluster --config " + file + ")";
        }
        List<String> problems = kmb.rootProblems(checked);
        if (!problems.isEmpty()) {
            throw new org.smpcluster.api.bootloader.ConfigException(problems);
        }
        return summary + ": OK";
    }

    @Descriptor("boot a cluster: the vnodes of a configuration file, or this machine's default")
    public String cluster(
            @Descriptor("show each step with its time") @Parameter(names = {"-v", "--verbose"},
                    presentValue = "true", absentValue = "false") boolean verbose,
            @Descriptor("the configuration file, or 'default'") String file) {
        ConfigParser.Checked checked = file.equals("default")
                ? new ConfigParser.Checked(kmb.defaultConfig(), "the default cluster", 0, 0, java.util.Map.of(),
                        java.util.Map.of(), java.util.Map.of())
                : kmb.checked(Path.of(file));
        ClusterConfig config = checked.config();
        Consumer<String> progress = verbose ? System.out::println
                : line -> {
                    if (!line.contains(": step ")) {
                        System.out.println(line);
                    }
                };
        long start = System.nanoTime();
        List<VnodeInfo> booted = kmb.boot(checked, progress);
        return String.format("cluster '%s' up: %d vnodes booted in %.0f ms%n%s", config.name(), booted.size(),
                (System.nanoTime() - start) / 1e6, list(kmb.vnodes()));
    }

    @Descriptor("show a vnode's recent output")
    public String log(@Descriptor("vnode id, 1..15") int id) {
        return kmb.log(id);
    }

    @Descriptor("debug a vnode from the root: its threads and stacks, and its nanokernel state")
    public String threads(@Descriptor("vnode id, 1..15") int id) throws IOException, InterruptedException {
        Kmb.requireVnodeId(id, "its threads are this JVM's (jcmd " + ProcessHandle.current().pid() + " Thread.print)");
        VnodeState state = nanokernel.vnodes().get(id);
        if (state.pid() == 0 || ProcessHandle.of(state.pid()).map(ProcessHandle::isAlive).orElse(false) == false) {
            throw new IllegalArgumentException("vnode " + id + " has no running process (its state: " + state.state()
                    + "); the bootloader runs " + kmb.bootedIds());
        }
        StringBuilder out = new StringBuilder(String.format(
                "vnode %d: %s, pid %d, heartbeat %d ms ago, incarnation %d, region 0x%x (%s)%n", id, state.state(),
                state.pid(), state.heartbeatAgeNanos() / 1_000_000, state.incarnation(), state.regionOffset(),
                Kmb.mib(state.regionSize())));
        Process jcmd = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                Long.toString(state.pid()), "Thread.print").redirectErrorStream(true).start();
        try (InputStream in = jcmd.getInputStream()) {
            out.append(new String(in.readAllBytes()));
        }
        if (!jcmd.waitFor(30, TimeUnit.SECONDS)) {
            jcmd.destroyForcibly();
            out.append("(jcmd did not finish in 30 s)\n");
        }
        return out.toString();
    }

    @Descriptor("benchmark booting: each KMB step and boot-to-joined of vnode 1, beside a bare java -jar of the image")
    public void bench(@Descriptor("rounds") @Parameter(names = {"-r", "--rounds"}, absentValue = "5") int rounds)
            throws IOException, InterruptedException {
        if (rounds < 1) {
            throw new IllegalArgumentException("--rounds must be at least 1, got " + rounds);
        }
        new BootBench(kmb).run(rounds, System.out, System.err);
    }

    private static Consumer<String> progress(boolean verbose) {
        return verbose ? System.out::println : line -> { };
    }

    static String list(List<VnodeInfo> vnodes) {
        StringBuilder out = new StringBuilder(String.format("%-5s %-8s %-6s %-25s %-8s %-8s %-9s %-8s %s%n",
                "VNODE", "STATE", "CPUS", "MEMORY", "PID", "UPTIME", "RESTARTS", "IMAGE", "DEVICES"));
        for (VnodeInfo v : vnodes) {
            String range = v.regionSize() == 0 ? "-" : String.format("0x%x-0x%x", v.regionOffset(),
                    v.regionOffset() + v.regionSize());
            out.append(String.format("%-5d %-8s %-6s %-25s %-8s %-8s %-9d %-8s %s%n", v.id(), v.state(),
                    v.cpus().stream().map(String::valueOf).collect(Collectors.joining(",")), range,
                    v.pid() == 0 ? "-" : Long.toString(v.pid()),
                    v.uptimeMillis() == 0 ? "-" : String.format("%.1fs", v.uptimeMillis() / 1000.0), v.restarts(),
                    v.imageDigest().length() > 8 ? v.imageDigest().substring(0, 8) : v.imageDigest(),
                    v.devices().isEmpty() ? "-" : String.join(",", v.devices())));
        }
        if (vnodes.isEmpty()) {
            out.append("(no vnodes booted; kmb:boot or kmb:cluster)\n");
        }
        return out.toString();
    }
}
