package org.smpcluster.bootloader.config;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
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
 * line and what to change. The parser is also what stands between a file anybody can write
 * and the root: it never expands, sums or echoes anything without a bound first (CPU ranges
 * are bounded before they are expanded, sizes are summed without overflow, long lines and
 * values are quoted by a short prefix, a file that is not UTF-8 text is refused by line).
 */
public final class ConfigParser {

    /** The least memory a vnode can boot in: the image, its parameters and a small heap. */
    public static final long MIN_VNODE_MEMORY = 32L << 20;
    /** The least memory the root is given: its heap serves the cluster (three quarters of this). */
    public static final long MIN_ROOT_MEMORY = 64L << 20;
    /** Physical memory the control area takes before any region. */
    public static final long CONTROL_AREA = 256 * 1024;
    /** The highest CPU id a list may name: Linux's NR_CPUS is at most 8192. */
    public static final int MAX_CPU = 8191;
    /** The longest line read; a statement is a few dozen characters. */
    public static final int MAX_LINE = 1000;
    /** The largest file read at all (checked before reading it). */
    public static final long MAX_FILE = 4L << 20;
    /** At most this many problems are listed; the rest are counted. */
    public static final int MAX_PROBLEMS = 50;

    /*
     * The device table's limits (nanokernel-bundle layout/DeviceTableDescriptor, which an
     * implementation bundle cannot import): 32 entries; class 16, name 32 and backing 128 bytes
     * of UTF-8, NUL-padded, so no NUL inside. Checked here so that a configuration the boot
     * would refuse at step 5 is refused with its line.
     */
    public static final int MAX_DEVICES = 32;
    public static final int DEVICE_CLASS_BYTES = 16;
    public static final int DEVICE_NAME_BYTES = 32;
    public static final int DEVICE_BACKING_BYTES = 128;

    /** The prefix lengths vnet runs (vnet-bundle nic/Subnet: /8../30). */
    public static final int MIN_PREFIX = 8;
    public static final int MAX_PREFIX = 30;

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,47}");
    /** A network's name is its wire bridge's suffix (vnet-bundle nic/VnetCore). */
    private static final Pattern NETWORK = Pattern.compile("[a-z][a-z0-9_-]{0,14}");
    private static final Pattern ADDRESS = Pattern.compile("[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\\.[0-7]");
    private static final Pattern SUBNET = Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})/(\\d{1,2})");
    private static final Pattern CPU_RANGE = Pattern.compile("(\\d+)(?:-(\\d+))?");
    private static final Pattern DEVICE_CLASS = Pattern.compile("[a-z][a-z0-9_-]*");

    /** A checked configuration and the line of each statement, for the checks the boot makes later. */
    public record Checked(ClusterConfig config, String file, int clusterLine, int physmemLine,
            Map<String, Integer> deviceLines, Map<Integer, Integer> vnodeLines, Map<String, Integer> networkLines) {

        /** "FILE:LINE: what" */
        public String at(int line, String what) {
            return line > 0 ? file + ":" + line + ": " + what : file + ": " + what;
        }
    }

    private final String file;
    private final Set<Integer> hostCpus;
    private final long hostMemory;
    private final List<String> problems = new ArrayList<>();
    private int dropped;

    private String name;
    private int clusterLine;
    private long physmem;
    private int physmemLine;
    private boolean overcommit;
    private final Map<Integer, VnodeSpec> vnodes = new LinkedHashMap<>();
    private final Map<Integer, Integer> vnodeLines = new HashMap<>();
    private final Map<String, DeviceSpec> devices = new LinkedHashMap<>();
    private final Map<String, Integer> deviceLines = new HashMap<>();
    private final List<NetworkSpec> networks = new ArrayList<>();
    private final Map<String, Integer> networkLines = new HashMap<>();
    /** Each network's subnet as address and prefix, for overlaps. */
    private final Map<String, long[]> subnets = new HashMap<>();

    private ConfigParser(String file, Set<Integer> hostCpus, long hostMemory) {
        this.file = file;
        this.hostCpus = hostCpus;
        this.hostMemory = hostMemory;
    }

    /**
     * Parses and validates {@code text}, read from {@code file}, for a host with
     * {@code hostCpus} (its memory is not checked).
     *
     * @throws ConfigException with every problem found
     */
    public static ClusterConfig parse(String file, String text, Set<Integer> hostCpus) {
        return parse(file, text.getBytes(StandardCharsets.UTF_8), hostCpus, Long.MAX_VALUE).config();
    }

    /**
     * Parses and validates the bytes of {@code file} for a host with {@code hostCpus} and
     * {@code hostMemory} bytes of RAM.
     *
     * @throws ConfigException with every problem found (and only that)
     */
    public static Checked parse(String file, byte[] bytes, Set<Integer> hostCpus, long hostMemory) {
        ConfigParser p = new ConfigParser(file, hostCpus, hostMemory);
        if (bytes.length > MAX_FILE) {
            p.problem(1, "the file is " + bytes.length + " bytes; a cluster configuration is at most "
                    + (MAX_FILE >> 20) + " MiB of text (is this the right file?)");
            throw new ConfigException(p.problems);
        }
        String text = p.text(bytes);
        if (text == null) {
            throw new ConfigException(p.problems);
        }
        int n = 0;
        int from = 0;
        while (from <= text.length()) {
            int end = text.indexOf('\n', from);
            if (end < 0) {
                end = text.length();
            }
            n++;
            p.line(n, text, from, end);
            from = end + 1;
        }
        return p.finish(n);
    }

    /** The bytes as text, or null (and one problem naming the line) when they are not UTF-8 text. */
    private String text(byte[] bytes) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length);
        CoderResult r = decoder.decode(in, out, true);
        if (r.isError()) {
            int at = in.position();
            problem(lineOf(bytes, at), String.format("byte 0x%02x at column %d is not UTF-8 text; a cluster "
                    + "configuration is a text file (is this the right file?)", bytes[at] & 0xff, columnOf(bytes, at)));
            return null;
        }
        decoder.flush(out);
        out.flip();
        String text = out.toString();
        int nul = text.indexOf('\0');
        if (nul >= 0) {
            int line = 1;
            int lineStart = 0;
            for (int i = 0; i < nul; i++) {
                if (text.charAt(i) == '\n') {
                    line++;
                    lineStart = i + 1;
                }
            }
            problem(line, "a NUL byte at column " + (nul - lineStart + 1) + "; a cluster configuration is a text "
                    + "file (is this the right file?)");
            return null;
        }
        return text;
    }

    private static int lineOf(byte[] bytes, int at) {
        int line = 1;
        for (int i = 0; i < at; i++) {
            if (bytes[i] == '\n') {
                line++;
            }
        }
        return line;
    }

    private static int columnOf(byte[] bytes, int at) {
        int start = at;
        while (start > 0 && bytes[start - 1] != '\n') {
            start--;
        }
        return at - start + 1;
    }

    private void line(int n, String text, int from, int end) {
        if (end > from && text.charAt(end - 1) == '\r') {
            end--; // a file written on Windows
        }
        if (end - from > MAX_LINE) {
            problem(n, "the line is " + (end - from) + " characters long; a statement is at most " + MAX_LINE
                    + " (it starts " + quote(text.substring(from, from + 40)) + ")");
            return;
        }
        String raw = text.substring(from, end);
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if ((c < 0x20 && c != '\t') || c == 0x7f) {
                problem(n, String.format("control character 0x%02x at column %d; write the statement in plain "
                        + "text", (int) c, i + 1));
                return;
            }
        }
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
                } else if (name != null) {
                    problem(n, "a second 'cluster' line (the first is line " + clusterLine + "); a file "
                            + "describes one cluster");
                } else {
                    name = w[1];
                    clusterLine = n;
                }
            }
            case "physmem" -> {
                Long size = w.length == 2 ? size(n, w[1]) : null;
                if (w.length != 2) {
                    problem(n, "'physmem' takes one size, e.g. 'physmem 1g'");
                } else if (physmemLine != 0) {
                    problem(n, "a second 'physmem' line (the first is line " + physmemLine + "); give one size");
                } else if (size != null) {
                    if (size > hostMemory) {
                        problem(n, "physmem " + quote(w[1]) + " is more than this machine's memory ("
                                + mib(hostMemory) + "); give it at most that");
                    }
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
            case "network" -> network(n, w);
            case "vnode" -> vnode(n, w);
            default -> problem(n, "unknown statement " + quote(w[0])
                    + "; a line starts with cluster, physmem, overcommit, device, network or vnode");
        }
    }

    private void device(int n, String[] w) {
        if (w.length < 4 || w.length > 5) {
            problem(n, "'device' takes an address, a class, a name and optionally a backing resource, "
                    + "e.g. 'device 0000:00:04.0 storage disk0 /srv/disk0'");
            return;
        }
        if (!ADDRESS.matcher(w[1]).matches()) {
            problem(n, "device address " + quote(w[1]) + " is not PCI-style DDDD:BB:SS.F in lower-case hex, "
                    + "e.g. 0000:00:04.0");
            return;
        }
        if (devices.containsKey(w[1])) {
            problem(n, "device " + w[1] + " is declared twice (first on line " + deviceLines.get(w[1])
                    + "); give each device its own address");
            return;
        }
        boolean ok = true;
        if (!DEVICE_CLASS.matcher(w[2]).matches() || utf8(w[2]) > DEVICE_CLASS_BYTES) {
            problem(n, "device class " + quote(w[2]) + " is not a lower-case word of at most " + DEVICE_CLASS_BYTES
                    + " characters, e.g. storage or net");
            ok = false;
        }
        if (utf8(w[3]) > DEVICE_NAME_BYTES) {
            problem(n, "device name " + quote(w[3]) + " is " + utf8(w[3]) + " bytes of UTF-8; the device table "
                    + "holds at most " + DEVICE_NAME_BYTES);
            ok = false;
        }
        if (w.length == 5 && utf8(w[4]) > DEVICE_BACKING_BYTES) {
            problem(n, "device backing " + quote(w[4]) + " is " + utf8(w[4]) + " bytes of UTF-8; the device "
                    + "table holds at most " + DEVICE_BACKING_BYTES + " (use a shorter path, or a symlink)");
            ok = false;
        }
        if (devices.size() >= MAX_DEVICES) {
            problem(n, "a " + (MAX_DEVICES + 1) + "th device; the device table holds " + MAX_DEVICES);
            ok = false;
        }
        if (ok) {
            devices.put(w[1], new DeviceSpec(w[1], w[2], w[3], w.length == 5 ? w[4] : ""));
        }
        deviceLines.putIfAbsent(w[1], n);
    }

    private void network(int n, String[] w) {
        if (w.length != 3) {
            problem(n, "'network' takes a name and an IPv4 subnet, e.g. 'network eth0 10.0.0.0/24'");
            return;
        }
        if (!NETWORK.matcher(w[1]).matches()) {
            problem(n, "network name " + quote(w[1]) + " is not a lower-case letter and then up to 14 of a-z, "
                    + "0-9, '_', '-', e.g. eth0");
            return;
        }
        if (networkLines.containsKey(w[1])) {
            problem(n, "network " + w[1] + " is declared twice (first on line " + networkLines.get(w[1])
                    + "); give each network its own name");
            return;
        }
        Matcher m = SUBNET.matcher(w[2]);
        if (!m.matches()) {
            problem(n, "subnet " + quote(w[2]) + " is not an IPv4 subnet like 10.0.0.0/24");
            return;
        }
        long address = 0;
        for (int i = 1; i <= 4; i++) {
            int octet = Integer.parseInt(m.group(i));
            if (octet > 255) {
                problem(n, "subnet " + w[2] + ": " + octet + " is not an octet (0..255)");
                return;
            }
            address = address << 8 | octet;
        }
        int prefix = Integer.parseInt(m.group(5));
        if (prefix < MIN_PREFIX || prefix > MAX_PREFIX) {
            problem(n, "subnet " + w[2] + ": prefix length /" + prefix + " is outside /" + MIN_PREFIX + "../"
                    + MAX_PREFIX + ", which vnet runs (e.g. /24)");
            return;
        }
        long mask = (0xFFFFFFFFL << (32 - prefix)) & 0xFFFFFFFFL;
        if ((address & ~mask) != 0) {
            problem(n, "subnet " + w[2] + " has host bits set; did you mean " + dotted(address & mask) + "/" + prefix
                    + "?");
            return;
        }
        for (Map.Entry<String, long[]> other : subnets.entrySet()) {
            long[] o = other.getValue();
            long common = (0xFFFFFFFFL << (32 - Math.min(prefix, (int) o[1]))) & 0xFFFFFFFFL;
            if ((address & common) == (o[0] & common)) {
                problem(n, "subnet " + w[2] + " overlaps network " + other.getKey() + "'s " + dotted(o[0]) + "/" + o[1]
                        + " (line " + networkLines.get(other.getKey()) + "); give each network its own subnet");
                return;
            }
        }
        networks.add(new NetworkSpec(w[1], w[2]));
        networkLines.put(w[1], n);
        subnets.put(w[1], new long[] {address, prefix});
    }

    private void vnode(int n, String[] w) {
        if (w.length < 2) {
            problem(n, "'vnode' takes an id and then cpus, memory and optionally devices and restart, "
                    + "e.g. 'vnode 1 cpus 1 memory 256m restart always'");
            return;
        }
        int id;
        if (!w[1].matches("\\d{1,9}")) {
            problem(n, "vnode id " + quote(w[1]) + " is not a number; ids are 0 (the root) to 15");
            return;
        }
        id = Integer.parseInt(w[1]);
        if (id > 15) {
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
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (int i = 2; i < w.length; i += 2) {
            if (i + 1 >= w.length) {
                problem(n, quote(w[i]) + " needs a value");
                return;
            }
            if (!seen.add(w[i])) {
                problem(n, "vnode " + id + " has " + quote(w[i]) + " twice; give it once");
                return;
            }
            String value = w[i + 1];
            switch (w[i]) {
                case "cpus" -> {
                    cpus = cpus(n, value);
                    if (cpus == null) {
                        return;
                    }
                }
                case "memory" -> {
                    memory = size(n, value);
                    if (memory == null) {
                        return;
                    }
                }
                case "devices" -> devs = devices(n, value);
                case "restart" -> {
                    try {
                        restart = RestartPolicy.parse(value);
                    } catch (IllegalArgumentException e) {
                        problem(n, "restart policy " + quote(value) + " is not 'always', 'never' or a number of "
                                + "restarts");
                    }
                }
                default -> problem(n, "unknown vnode setting " + quote(w[i])
                        + "; there are cpus, memory, devices, restart");
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
        if (id == 0 && memory < MIN_ROOT_MEMORY) {
            problem(n, "vnode 0 (the root) has " + memory + " bytes of memory; it needs at least "
                    + (MIN_ROOT_MEMORY >> 20) + "m (its heap is three quarters of it)");
        }
        if (memory > hostMemory) {
            problem(n, "vnode " + id + " has " + mib(memory) + " of memory, more than this machine has ("
                    + mib(hostMemory) + "); give it less");
        }
        vnodes.put(id, new VnodeSpec(id, cpus, memory, devs, restart));
        vnodeLines.put(id, n);
    }

    private List<String> devices(int n, String value) {
        List<String> devs = new ArrayList<>();
        for (String d : value.split(",", -1)) {
            if (d.isEmpty()) {
                problem(n, "device list " + quote(value) + " has an empty entry; separate addresses by single commas");
                return List.of();
            }
            if (devs.contains(d)) {
                problem(n, "device list " + quote(value) + " names " + quote(d) + " twice");
                return List.of();
            }
            devs.add(d);
        }
        return List.copyOf(devs);
    }

    private Checked finish(int lastLine) {
        if (name == null) {
            problem(1, "no 'cluster NAME' line; add one, e.g. 'cluster demo'");
        }
        if (physmem == 0 && physmemLine == 0) {
            problem(1, "no 'physmem SIZE' line; add one, e.g. 'physmem 1g'");
        }
        if (!vnodes.containsKey(0)) {
            problem(lastLine, "no vnode 0 (the root); add e.g. 'vnode 0 cpus 0 memory 256m'");
        }
        Map<Integer, Integer> cpuUser = new HashMap<>();
        Map<String, Integer> deviceUser = new HashMap<>();
        long regions = 0;
        int highest = 0;
        for (VnodeSpec v : vnodes.values()) {
            int n = vnodeLines.get(v.id());
            highest = Math.max(highest, v.id());
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
                    problem(n, "vnode " + v.id() + " is given device " + (ADDRESS.matcher(d).matches() ? d : quote(d))
                            + ", which no 'device' line "
                            + (deviceLines.containsKey(d) ? "declares correctly (see line " + deviceLines.get(d) + ")"
                                    : "declares"));
                } else if (deviceUser.containsKey(d)) {
                    problem(n, "device " + d + " is given to vnode " + v.id() + " and to vnode "
                            + deviceUser.get(d) + "; a device belongs to one vnode at a time");
                } else {
                    deviceUser.put(d, v.id());
                }
            }
            if (v.id() != 0) {
                // Saturating: two vnodes of 2^62 bytes must not wrap around to a sum that fits.
                regions = saturatingAdd(regions, v.memory());
            }
        }
        long needed = saturatingAdd(CONTROL_AREA, regions);
        if (physmem != 0 && needed > physmem) {
            problem(physmemLine, "the vnodes' memory (" + mib(regions) + " for vnodes 1 and up) and the control "
                    + "area do not fit 'physmem " + mib(physmem) + "'; raise physmem to at least "
                    + (needed == Long.MAX_VALUE ? "their sum" : ((needed + (1 << 20) - 1) >> 20) + "m")
                    + " or give the vnodes less memory");
        }
        for (NetworkSpec net : networks) {
            long[] s = subnets.get(net.name());
            // vnet's address plan: vnode v is host v + 1, and the last host is the broadcast.
            long hosts = (1L << (32 - s[1])) - 2;
            if (highest + 1 > hosts) {
                problem(networkLines.get(net.name()), "subnet " + net.subnet() + " has " + hosts + " host addresses; "
                        + "vnode " + highest + " needs host " + (highest + 1) + " (vnode v is host v + 1): use a "
                        + "shorter prefix, e.g. /24");
            }
        }
        if (!problems.isEmpty()) {
            if (dropped > 0) {
                problems.add(file + ": and " + dropped + " more problems");
            }
            throw new ConfigException(problems);
        }
        List<VnodeSpec> ordered = vnodes.values().stream().sorted((a, b) -> Integer.compare(a.id(), b.id())).toList();
        ClusterConfig config = new ClusterConfig(name, physmem, overcommit, ordered, List.copyOf(devices.values()),
                networks);
        return new Checked(config, file, clusterLine, physmemLine, Map.copyOf(deviceLines), Map.copyOf(vnodeLines),
                Map.copyOf(networkLines));
    }

    private List<Integer> cpus(int n, String text) {
        java.util.BitSet cpus = new java.util.BitSet();
        for (String part : text.split(",", -1)) {
            Matcher m = CPU_RANGE.matcher(part);
            if (!m.matches()) {
                problem(n, "CPU list " + quote(text) + " is not like '1', '0,2' or '2-3'");
                return null;
            }
            // Bounded before anything is expanded: '0-99999999' must cost nothing.
            long from = cpuNumber(m.group(1));
            long to = m.group(2) == null ? from : cpuNumber(m.group(2));
            if (from > to) {
                problem(n, "CPU range " + quote(part) + " runs backwards; write it low-high, e.g. 2-3");
                return null;
            }
            if (to > MAX_CPU) {
                problem(n, "CPU " + quote(part) + " is beyond CPU " + MAX_CPU + "; this machine has "
                        + ranges(hostCpus));
                return null;
            }
            cpus.set((int) from, (int) to + 1);
        }
        return cpus.stream().boxed().toList();
    }

    /** A CPU number; any of more than 9 digits is simply too big (and is not parsed). */
    private static long cpuNumber(String digits) {
        return digits.length() > 9 ? Long.MAX_VALUE : Long.parseLong(digits);
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
        String digits = unit == 1 ? t : t.substring(0, t.length() - 1);
        try {
            if (!digits.matches("\\d{1,19}")) {
                throw new NumberFormatException();
            }
            long value = Long.parseLong(digits);
            if (value <= 0) {
                throw new NumberFormatException();
            }
            return Math.multiplyExact(value, unit);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException("size " + quote(text)
                    + " is not a positive number of bytes, or with k, m, g (e.g. 256m), below 8 EiB", e);
        }
    }

    private static long saturatingAdd(long a, long b) {
        long sum = a + b;
        return ((a ^ sum) & (b ^ sum)) < 0 ? Long.MAX_VALUE : sum;
    }

    private static int utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }

    private static String dotted(long address) {
        return (address >>> 24 & 255) + "." + (address >>> 16 & 255) + "." + (address >>> 8 & 255) + "." + (address & 255);
    }

    static String mib(long bytes) {
        if (bytes == Long.MAX_VALUE) {
            return "more than 8 EiB";
        }
        return bytes % (1 << 20) == 0 ? (bytes >> 20) + "m" : String.format("%.1fm", bytes / 1048576.0);
    }

    /**
     * {@code 'text'}, or its first 32 characters and how long it is: a value from the file is
     * echoed back, and a file is not to be echoed whole.
     */
    public static String quote(String text) {
        if (text.length() <= 40) {
            return "'" + text + "'";
        }
        return "'" + text.substring(0, 32) + "...' (" + text.length() + " characters)";
    }

    private void problem(int line, String what) {
        if (problems.size() >= MAX_PROBLEMS) {
            dropped++;
            return;
        }
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
