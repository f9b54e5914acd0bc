package org.smpcluster.bootloader.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.smpcluster.api.bootloader.ClusterConfig;
import org.smpcluster.api.bootloader.ConfigException;
import org.smpcluster.api.bootloader.RestartPolicy;
import org.smpcluster.api.bootloader.VnodeSpec;

class ConfigParserTest {

    private static final Set<Integer> TWO_CPUS = Set.of(0, 1);

    @Test
    void shouldReadTheCommittedExample() throws Exception {
        Path example = Path.of("..", "run", "examples", "demo.cluster");

        ClusterConfig c = ConfigParser.parse(example.toString(), Files.readString(example), TWO_CPUS);

        assertEquals("demo", c.name());
        assertEquals(512L << 20, c.physmem());
        assertTrue(c.overcommit());
        assertEquals(List.of(0, 1, 2), c.vnodes().stream().map(VnodeSpec::id).toList());
        assertEquals(new VnodeSpec(1, List.of(1), 96L << 20, List.of("0000:00:04.0"), RestartPolicy.ALWAYS),
                c.vnodes().get(1));
        assertEquals(RestartPolicy.parse("3"), c.vnodes().get(2).restart());
        assertEquals(2, c.devices().size());
        assertEquals("10.0.0.0/24", c.networks().get(0).subnet());
    }

    @Test
    void shouldNameFileLineAndRemedyForEveryProblem() {
        String text = """
                cluster demo
                physmem 128m
                device 0000:00:04.0 storage disk0 /srv/d0
                vnode 0 cpus 0 memory 64m
                vnode 1 cpus 0 memory 64m devices 0000:00:04.0
                vnode 2 cpus 7 memory 64m devices 0000:00:04.0,0000:00:09.0
                vnode 3 cpus 1 memory 1m restart sometimes
                frobnicate
                """;

        ConfigException e = assertThrows(ConfigException.class, () -> ConfigParser.parse("c.cluster", text, TWO_CPUS));

        List<String> p = e.problems();
        assertTrue(p.contains("c.cluster:7: restart policy 'sometimes' is not 'always', 'never' or a number of restarts"), p.toString());
        assertTrue(p.contains("c.cluster:7: vnode 3 has 1048576 bytes of memory; it needs at least 32m for its image and heap"), p.toString());
        assertTrue(p.contains("c.cluster:8: unknown statement 'frobnicate'; a line starts with cluster, physmem, overcommit, device, network or vnode"), p.toString());
        assertTrue(p.contains("c.cluster:5: vnode 1 and vnode 0 both have CPU 0; give each its own CPUs, or add 'overcommit yes' to share them"), p.toString());
        assertTrue(p.contains("c.cluster:6: vnode 2 is given CPU 7, which this machine does not have (it has CPUs 0-1)"), p.toString());
        assertTrue(p.contains("c.cluster:6: device 0000:00:04.0 is given to vnode 2 and to vnode 1; a device belongs to one vnode at a time"), p.toString());
        assertTrue(p.contains("c.cluster:6: vnode 2 is given device 0000:00:09.0, which no 'device' line declares"), p.toString());
        assertTrue(p.contains("c.cluster:2: the vnodes' memory (129m for vnodes 1 and up) and the control area do not fit 'physmem 128m'; raise physmem to at least 130m or give the vnodes less memory"), p.toString());
    }

    @Test
    void shouldLetVnodesShareCpusOnlyWhenOvercommitIsAsked() {
        String shared = "cluster c\nphysmem 256m\nvnode 0 cpus 0 memory 64m\nvnode 1 cpus 0 memory 64m\n";
        assertThrows(ConfigException.class, () -> ConfigParser.parse("f", shared, TWO_CPUS));
        ClusterConfig c = ConfigParser.parse("f", "overcommit yes\n" + shared, TWO_CPUS);
        assertTrue(c.overcommit());
    }

    @Test
    void shouldRequireAClusterPhysmemAndARoot() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> ConfigParser.parse("f", "vnode 1 cpus 1 memory 64m\n", TWO_CPUS));
        assertEquals(List.of("f:1: no 'cluster NAME' line; add one, e.g. 'cluster demo'",
                "f:1: no 'physmem SIZE' line; add one, e.g. 'physmem 1g'",
                "f:2: no vnode 0 (the root); add e.g. 'vnode 0 cpus 0 memory 256m'"), e.problems());
    }

    @Test
    void shouldReadCpuListsAndRanges() {
        ClusterConfig c = ConfigParser.parse("f", "cluster c\nphysmem 1g\novercommit yes\n"
                + "vnode 0 cpus 0 memory 64m\nvnode 1 cpus 0-1 memory 64m\nvnode 2 cpus 1,0 memory 64m\n", TWO_CPUS);
        assertEquals(List.of(0, 1), c.vnodes().get(1).cpus());
        assertEquals(List.of(0, 1), c.vnodes().get(2).cpus());
        assertEquals("CPUs 0-3,6", ConfigParser.ranges(Set.of(0, 1, 2, 3, 6)));
    }

    private static final String HEAD = "cluster c\nphysmem 1g\novercommit yes\nvnode 0 cpus 0 memory 256m\n";
    private static final long HOST_MEMORY = 16L << 30;

    private static List<String> problems(String text) {
        return problems(text.getBytes(StandardCharsets.UTF_8));
    }

    private static List<String> problems(byte[] bytes) {
        return assertThrows(ConfigException.class, () -> ConfigParser.parse("f", bytes, TWO_CPUS, HOST_MEMORY))
                .problems();
    }

    @Test
    void shouldRefuseAHugeCpuRangeAtOnceWithoutExpandingIt() {
        // The 72 s and 6.5 GB, and an int loop that never ended: each must be refused at once.
        for (String range : List.of("0-99999999", "0-2147483647", "2147483647", "0-99999999999999999999")) {
            long start = System.nanoTime();
            List<String> p = assertTimeoutPreemptively(Duration.ofSeconds(2),
                    () -> problems(HEAD + "vnode 1 cpus " + range + " memory 64m\n"));
            assertTrue(System.nanoTime() - start < 1_000_000_000L, range);
            assertEquals(1, p.size(), p.toString());
            assertTrue(p.get(0).startsWith("f:5: CPU"), p.toString());
            assertTrue(p.get(0).contains("is beyond CPU 8191; this machine has CPUs 0-1"), p.toString());
        }
    }

    @Test
    void shouldSumVnodeMemoryWithoutOverflow() {
        // 2^62 bytes each: their sum wraps to a negative long, which "fit" any physmem before.
        String huge = (1L << 62) + "";
        List<String> p = assertThrows(ConfigException.class, () -> ConfigParser.parse("f",
                (HEAD + "vnode 1 cpus 1 memory " + huge + "\nvnode 2 cpus 1 memory " + huge + "\n")
                        .getBytes(StandardCharsets.UTF_8), TWO_CPUS, Long.MAX_VALUE)).problems();
        assertTrue(p.stream().anyMatch(l -> l.startsWith("f:2: the vnodes' memory (more than 8 EiB for vnodes 1 and up)")),
                p.toString());
    }

    @Test
    void shouldRefuseMoreMemoryThanTheMachineHas() {
        List<String> p = problems("cluster c\nphysmem 1g\nvnode 0 cpus 0 memory 999g\n");
        assertEquals(List.of("f:3: vnode 0 has 1022976m of memory, more than this machine has (16384m); give it less"),
                p);
        assertEquals(List.of("f:2: physmem '999g' is more than this machine's memory (16384m); give it at most that"),
                problems("cluster c\nphysmem 999g\nvnode 0 cpus 0 memory 256m\n"));
        assertTrue(problems("cluster c\nphysmem 1g\nvnode 0 cpus 0 memory 16m\n").get(0)
                .startsWith("f:3: vnode 0 (the root) has 16777216 bytes of memory; it needs at least 64m"));
    }

    @Test
    void shouldRefuseWhatTheDeviceTableCannotHold() {
        String backing = "/" + "b".repeat(303); // the 304-byte backing
        String name = "n".repeat(100);
        List<String> p = problems(HEAD + "device 0000:00:04.0 storage disk0 " + backing + "\n"
                + "device 0000:00:05.0 storage " + name + " /tmp/x\n"
                + "device 0000:00:06.0 averyveryverylongclass d /tmp/y\n");
        assertEquals(3, p.size(), p.toString());
        assertTrue(p.get(0).startsWith("f:5: device backing '/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb...' (304 characters) is "
                + "304 bytes of UTF-8; the device table holds at most 128"), p.toString());
        assertTrue(p.get(1).startsWith("f:6: device name 'nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn...' (100 characters) is 100 "
                + "bytes of UTF-8; the device table holds at most 32"), p.toString());
        assertTrue(p.get(2).startsWith("f:7: device class 'averyveryverylongclass' is not a lower-case word of at most 16"),
                p.toString());
        StringBuilder many = new StringBuilder(HEAD);
        for (int i = 0; i < 33; i++) {
            many.append(String.format("device 0000:00:%02x.0 net port%d tcp:%d%n", i, i, 9000 + i));
        }
        assertEquals(List.of("f:37: a 33th device; the device table holds 32"), problems(many.toString()));
    }

    @Test
    void shouldRefuseSubnetsVnetDoesNotRun() {
        assertEquals(List.of("f:5: subnet 999.999.999.999/24: 999 is not an octet (0..255)"),
                problems(HEAD + "network eth0 999.999.999.999/24\n"));
        assertEquals(List.of("f:5: subnet 10.0.0.1/32: prefix length /32 is outside /8../30, which vnet runs (e.g. /24)"),
                problems(HEAD + "network eth0 10.0.0.1/32\n"));
        assertEquals(List.of("f:5: subnet 10.0.0.0/7: prefix length /7 is outside /8../30, which vnet runs (e.g. /24)"),
                problems(HEAD + "network eth0 10.0.0.0/7\n"));
        assertEquals(List.of("f:5: subnet 10.0.0.5/24 has host bits set; did you mean 10.0.0.0/24?"),
                problems(HEAD + "network eth0 10.0.0.5/24\n"));
        assertEquals(List.of("f:5: subnet 10.0.0.0/30 has 2 host addresses; vnode 2 needs host 3 (vnode v is host v "
                + "+ 1): use a shorter prefix, e.g. /24"),
                problems(HEAD + "network eth0 10.0.0.0/30\nvnode 2 cpus 1 memory 64m\n"));
        assertEquals("10.0.0.0/8", ConfigParser.parse("f", (HEAD + "network eth0 10.0.0.0/8\n")
                .getBytes(StandardCharsets.UTF_8), TWO_CPUS, HOST_MEMORY).config().networks().get(0).subnet());
    }

    @Test
    void shouldRefuseADuplicateNetworkAndOverlappingSubnets() {
        assertEquals(List.of("f:6: network eth0 is declared twice (first on line 5); give each network its own name"),
                problems(HEAD + "network eth0 10.0.0.0/24\nnetwork eth0 10.0.1.0/24\n"));
        assertEquals(List.of("f:6: subnet 10.0.0.128/25 overlaps network eth0's 10.0.0.0/24 (line 5); give each "
                + "network its own subnet"), problems(HEAD + "network eth0 10.0.0.0/24\nnetwork eth1 10.0.0.128/25\n"));
    }

    @Test
    void shouldNameTheLineOfABinaryFile() {
        byte[] binary = {'c', 'l', 'u', 's', 't', 'e', 'r', ' ', 'c', '\n', (byte) 0xff, (byte) 0xfe, 0, 1};
        assertEquals(List.of("f:2: byte 0xff at column 1 is not UTF-8 text; a cluster configuration is a text file "
                + "(is this the right file?)"), problems(binary));
        byte[] nul = "cluster c\nphysmem 1g\nvnode\0 0\n".getBytes(StandardCharsets.UTF_8);
        assertEquals(List.of("f:3: a NUL byte at column 6; a cluster configuration is a text file (is this the right "
                + "file?)"), problems(nul));
        assertEquals(List.of("f:5: control character 0x1b at column 9; write the statement in plain text"),
                problems(HEAD + "cluster \u001b[31mred\n"));
    }

    @Test
    void shouldQuoteOnlyAShortPrefixOfALongLine() {
        String line = "x".repeat(2 << 20); // the 2 MB line
        List<String> p = problems(HEAD + line + "\n");
        assertEquals(List.of("f:5: the line is 2097152 characters long; a statement is at most 1000 (it starts "
                + "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx')"), p);
        String value = "y".repeat(900);
        List<String> q = problems(HEAD + "vnode 1 cpus 1 memory " + value + "\n");
        assertTrue(q.get(0).length() < 200, q.toString());
        assertTrue(q.get(0).contains("(900 characters)"), q.toString());
        List<String> r = problems(new byte[(int) ConfigParser.MAX_FILE + 1]);
        assertEquals(List.of("f:1: the file is 4194305 bytes; a cluster configuration is at most 4 MiB of text (is "
                + "this the right file?)"), r);
    }

    @Test
    void shouldListAtMostFiftyProblems() {
        List<String> p = problems("nonsense\n".repeat(10_000));
        assertEquals(ConfigParser.MAX_PROBLEMS + 1, p.size());
        assertTrue(p.get(ConfigParser.MAX_PROBLEMS).startsWith("f: and "), p.toString());
    }

    @Test
    void shouldKeepEachStatementsLineForTheBootsChecks() {
        ConfigParser.Checked c = ConfigParser.parse("f", ("# comment\n" + HEAD + "device 0000:00:04.0 storage d /x\n"
                + "vnode 1 cpus 1 memory 64m devices 0000:00:04.0\nnetwork eth0 10.0.0.0/24\n")
                .getBytes(StandardCharsets.UTF_8), TWO_CPUS, HOST_MEMORY);
        assertEquals(2, c.clusterLine());
        assertEquals(3, c.physmemLine());
        assertEquals(6, c.deviceLines().get("0000:00:04.0"));
        assertEquals(7, c.vnodeLines().get(1));
        assertEquals(8, c.networkLines().get("eth0"));
        assertEquals("f:7: x", c.at(7, "x"));
    }
}
