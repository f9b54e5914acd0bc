package org.smpcluster.bootloader.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
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
}
