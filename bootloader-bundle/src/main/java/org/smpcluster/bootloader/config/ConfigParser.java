package org.smpcluster.bootloader.config;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

import org.smpcluster.api.bootloader.ClusterConfig;
import org.smpcluster.api.bootloader.ClusterConfig.DeviceSpec;
import org.smpcluster.api.bootloader.ClusterConfig.NetworkSpec;
import org.smpcluster.api.bootloader.ConfigException;
import org.smpcluster.api.bootloader.RestartPolicy;
import org.smpcluster.api.bootloader.VnodeSpec;

/**
 * Reads a cluster configuration: one statement per line, {@code #} starts a comment.
 *
 * <pre>
 * cluster demo                          # the name; the physical memory is /dev/shm/smpcluster-demo
 * physmem 1g                            # bytes, or with k, m, g
 * overcommit no                         # yes lets vnodes share CPUs (machines with few CPUs)
 * device 0000:00:04.0 storage disk0 /srv/disk0
 * device 0000:00:05.0 net port8080 tcp:8080
 * network eth0 10.0.0.0/24
 * vnode 0 cpus 0 memory 256m            # the root
 * vnode 1 cpus 1 memory 256m devices 0000:00:04.0 restart always
 * vnode 2 cpus 2-3 memory 512m restart 3
 * </pre>
 *
 * Everything is checked before anything boots; every problem is reported with the file, the
 * line and what to change.
 */
public final class ConfigParser {

    /** The least memory a vnode can boot in: the image, its parameters and a small heap. */
    public static final long MIN_VNODE_MEMORY = 32L << 20;
    /** Physical memory the control area takes before any region. */
    public static final long CONTROL_AREA = 256 * 1024;

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,47}");
    private static final Pattern ADDRESS = Pattern.compile("[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\\.[0-7]");
    private static final Pattern SUBNET = Pattern.compile("(\\d{1,3}\\.){3}\\d{1,3}/(\\d|[12]\\d|3[0-2])");

    private final String file;
    private final Set<Integer> hostCpus;
    private final List<String> problems = new ArrayList<>();

    private String name;
    private long physmem;
    private int physmemLine;
    private boolean overcommit;
    private final Map<Integer, VnodeSpec> vnodes = new LinkedHashMap<>();
    private final Map<Integer, Integer> vnodeLines = new HashMap<>();
    private final Map<String, DeviceSpec> devices = new LinkedHashMap<>();
    private final List<NetworkSpec> networks = new ArrayList<>();

    private ConfigParser(String file, Set<Integer> hostCpus) {
        this.file = file;
        this.hostCpus = hostCpus;
    }

    /**
     * Parses and validates {@code text}, read from {@code file}, for a host with
     * {@code hostCpus}.
     *
     * @throws ConfigException with every problem found
     */
    public static ClusterConfig parse(String file, String text, Set<Integer> hostCpus) {
        ConfigParser p = new ConfigParser(file, hostCpus);
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            p.line(i + 1, lines[i]);
        }
        return p.finish(lines.length);
    }

    private void line(int n, String raw) {
        int hash = raw.indexOf('#');
        String line = (hash >= 0 ? raw.substring(0, hash) : raw).strip();
        if (line.isEmpty()) {
            return;
        }
        String[] w = line.split("\\s+");
        switch (w[0]) {
            case "cluster" -> {
                if (w.length != 2 || !NAME.matcher(w[1]).matches()) {
                    problem(n, "'cluster' takes one name of letters, digits, '.', '_', '-' (at most 48), "
                            + "e.g. 'cluster demo'");
                } else {
                    name = w[1];
                }
            }
            case "physmem" -> {
                Long size = w.length == 2 ? size(n, w[1]) : null;
                if (w.length != 2) {
                    problem(n, "'physmem' takes one size, e.g. 'physmem 1g'");
                } else if (size != null) {
                    physmem = size;
                    physmemLine = n;
                }
            }
            case "overcommit" -> {
                if (w.length != 2 || !(w[1].equals("yes") || w[1].equals("no"))) {
                    problem(n, "'overcommit' takes 'yes' or 'no'");
                } else {
                    overcommit = w[1].equals("yes");
                }
            }
            case "device" -> device(n, w);
            case "network" -> {
                if (w.length != 3 || !NAME.matcher(w[1]).matches() || !SUBNET.matcher(w[2]).matches()) {
                    problem(n, "'network' takes a name and an IPv4 subnet, e.g. 'network eth0 10.0.0.0/24'");
                } else {
                    networks.add(new NetworkSpec(w[1], w[2]));
                }
            }
            case "vnode" -> vnode(n, w);
            default -> problem(n, "unknown statement '" + w[0]
                    + "'; a line starts with cluster, physmem, overcommit, device, network or vnode");
        }
    }

    private void device(int n, String[] w) {
        if (w.length < 4 || w.length > 5) {
            problem(n, "'device' takes an address, a class, a name and optionally a backing resource, "
                    + "e.g. 'device 0000:00:04.0 storage disk0 /srv/disk0'");
            return;
        }
        if (!ADDRESS.matcher(w[1]).matches()) {
            problem(n, "device address '" + w[1] + "' is not PCI-style DDDD:BB:SS.F in lower-case hex, "
                    + "e.g. 0000:00:04.0");
            return;
        }
        if (devices.containsKey(w[1])) {
            problem(n, "device " + w[1] + " is declared twice; give each device its own address");
            return;
        }
        devices.put(w[1], new DeviceSpec(w[1], w[2], w[3], w.length == 5 ? w[4] : ""));
    }

    private void vnode(int n, String[] w) {
        if (w.length < 2) {
            problem(n, "'vnode' takes an id and then cpus, memory and optionally devices and restart, "
                    + "e.g. 'vnode 1 cpus 1 memory 256m restart always'");
            return;
        }
        int id;
        try {
            id = Integer.parseInt(w[1]);
        } catch (NumberFormatException e) {
            problem(n, "vnode id '" + w[1] + "' is not a number; ids are 0 (the root) to 15");
            return;
        }
        if (id < 0 || id > 15) {
            problem(n, "vnode id " + id + " is outside 0..15");
            return;
        }
        if (vnodes.containsKey(id)) {
            problem(n, "vnode " + id + " is declared twice (first on line " + vnodeLines.get(id)
                    + "); give each vnode its own id");
            return;
        }
        List<Integer> cpus = null;
        Long memory = null;
        List<String> devs = List.of();
        RestartPolicy restart = RestartPolicy.NEVER;
        for (int i = 2; i < w.length; i += 2) {
            if (i + 1 >= w.length) {
                problem(n, "'" + w[i] + "' needs a value");
                return;
            }
            String value = w[i + 1];
            switch (w[i]) {
                case "cpus" -> cpus = cpus(n, value);
                case "memory" -> memory = size(n, value);
                case "devices" -> devs = List.of(value.split(","));
                case "restart" -> {
                    try {
                        restart = RestartPolicy.parse(value);
                    } catch (IllegalArgumentException e) {
                        problem(n, e.getMessage());
                    }
                }
                default -> problem(n, "unknown vnode setting '" + w[i] + "'; there are cpus, memory, devices, restart");
            }
        }
        if (cpus == null) {
            problem(n, "vnode " + id + " needs 'cpus', e.g. 'cpus 1' or 'cpus 2-3'");
            return;
        }
        if (memory == null) {
            problem(n, "vnode " + id + " needs 'memory', e.g. 'memory 256m'");
            return;
        }
        if (id != 0 && memory < MIN_VNODE_MEMORY) {
            problem(n, "vnode " + id + " has " + memory + " bytes of memory; it needs at least "
                    + (MIN_VNODE_MEMORY >> 20) + "m for its image and heap");
        }
        vnodes.put(id, new VnodeSpec(id, cpus, memory, devs, restart));
        vnodeLines.put(id, n);
    }

    private ClusterConfig finish(int lastLine) {
        if (name == null) {
            problem(1, "no 'cluster NAME' line; add one, e.g. 'cluster demo'");
        }
        if (physmem == 0) {
            problem(1, "no 'physmem SIZE' line; add one, e.g. 'physmem 1g'");
        }
        if (!vnodes.containsKey(0)) {
            problem(lastLine, "no vnode 0 (the root); add e.g. 'vnode 0 cpus 0 memory 256m'");
        }
        Map<Integer, Integer> cpuUser = new HashMap<>();
        Map<String, Integer> deviceUser = new HashMap<>();
        long regions = 0;
        for (VnodeSpec v : vnodes.values()) {
            int n = vnodeLines.get(v.id());
            for (int cpu : v.cpus()) {
                if (!hostCpus.contains(cpu)) {
                    problem(n, "vnode " + v.id() + " is given CPU " + cpu + ", which this machine does not have "
                            + "(it has " + ranges(hostCpus) + ")");
                } else if (cpuUser.containsKey(cpu) && !overcommit) {
                    problem(n, "vnode " + v.id() + " and vnode " + cpuUser.get(cpu) + " both have CPU " + cpu
                            + "; give each its own CPUs, or add 'overcommit yes' to share them");
                } else {
                    cpuUser.putIfAbsent(cpu, v.id());
                }
            }
            for (String d : v.devices()) {
                if (!devices.containsKey(d)) {
                    problem(n, "vnode " + v.id() + " is given device " + d + ", which no 'device' line declares");
                } else if (deviceUser.containsKey(d)) {
                    problem(n, "device " + d + " is given to vnode " + v.id() + " and to vnode "
                            + deviceUser.get(d) + "; a device belongs to one vnode at a time");
                } else {
                    deviceUser.put(d, v.id());
                }
            }
            if (v.id() != 0) {
                regions += v.memory();
            }
        }
        if (physmem != 0 && CONTROL_AREA + regions > physmem) {
            problem(physmemLine, "the vnodes' memory (" + (regions >> 20) + "m for vnodes 1 and up) and the control "
                    + "area do not fit 'physmem " + (physmem >> 20) + "m'; raise physmem to at least "
                    + ((CONTROL_AREA + regions + (1 << 20) - 1) >> 20) + "m or give the vnodes less memory");
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        List<VnodeSpec> ordered = vnodes.values().stream().sorted((a, b) -> Integer.compare(a.id(), b.id())).toList();
        return new ClusterConfig(name, physmem, overcommit, ordered, List.copyOf(devices.values()), networks);
    }

    private List<Integer> cpus(int n, String text) {
        Set<Integer> cpus = new TreeSet<>();
        for (String part : text.split(",")) {
            try {
                int dash = part.indexOf('-');
                int from = Integer.parseInt(dash < 0 ? part : part.substring(0, dash));
                int to = dash < 0 ? from : Integer.parseInt(part.substring(dash + 1));
                if (from > to || from < 0) {
                    throw new NumberFormatException();
                }
                for (int c = from; c <= to; c++) {
                    cpus.add(c);
                }
            } catch (NumberFormatException e) {
                problem(n, "CPU list '" + text + "' is not like '1', '0,2' or '2-3'");
                return null;
            }
        }
        return List.copyOf(cpus);
    }

    private Long size(int n, String text) {
        try {
            return parseSize(text);
        } catch (IllegalArgumentException e) {
            problem(n, e.getMessage());
            return null;
        }
    }

    /** "4096", "64k", "256m", "1g" in bytes. */
    public static long parseSize(String text) {
        String t = text.strip().toLowerCase(Locale.ROOT);
        long unit = switch (t.isEmpty() ? ' ' : t.charAt(t.length() - 1)) {
            case 'k' -> 1L << 10;
            case 'm' -> 1L << 20;
            case 'g' -> 1L << 30;
            default -> 1;
        };
        try {
            long value = Long.parseLong(unit == 1 ? t : t.substring(0, t.length() - 1));
            if (value <= 0) {
                throw new NumberFormatException();
            }
            return Math.multiplyExact(value, unit);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException("size '" + text
                    + "' is not a positive number of bytes, or with k, m, g (e.g. 256m)", e);
        }
    }

    private void problem(int line, String what) {
        problems.add(file + ":" + line + ": " + what);
    }

    /** "0-3,6" for {0,1,2,3,6}. */
    static String ranges(Set<Integer> cpus) {
        StringBuilder out = new StringBuilder();
        Integer start = null;
        Integer prev = null;
        for (int c : new TreeSet<>(cpus)) {
            if (prev != null && c == prev + 1) {
                prev = c;
                continue;
            }
            if (start != null) {
                out.append(out.isEmpty() ? "" : ",").append(start.equals(prev) ? "" + start : start + "-" + prev);
            }
            start = c;
            prev = c;
        }
        if (start != null) {
            out.append(out.isEmpty() ? "" : ",").append(start.equals(prev) ? "" + start : start + "-" + prev);
        }
        return out.isEmpty() ? "no CPUs" : "CPUs " + out;
    }
}
