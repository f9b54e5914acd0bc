package org.smpcluster.mosix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.smpcluster.mosix.cluster.ClusterView;

/** mosix:mon's frame, mosix:run -L. */
class LoadCommandsTest {

    @Test
    void shouldDrawABarPerVnodeScaledToTheHighestLoad() {
        String f = LoadCommands.frame(List.of(new ClusterView.Load(0, 0, 1, 0, 300L << 20),
                new ClusterView.Load(1, 4, 1, 4000, 100L << 20), new ClusterView.Load(2, 1, 2, 1000, 200L << 20)),
                "balancing on, moves 0");
        String[] lines = f.split("\n");
        assertEquals(5, lines.length, f);
        assertTrue(lines[0].contains("balancing on"), lines[0]);
        assertTrue(lines[2].startsWith("    0  " + ".".repeat(LoadCommands.BAR) + "|"), "idle: an empty bar\n" + f);
        assertTrue(lines[3].startsWith("    1  " + "#".repeat(LoadCommands.BAR) + "|"), "the highest: a full bar\n" + f);
        assertTrue(lines[4].startsWith("    2  " + "#".repeat(LoadCommands.BAR / 4) + ".".repeat(LoadCommands.BAR * 3 / 4)
                + "|"), "a quarter of the highest\n" + f);
        assertTrue(lines[3].contains("4.00"), lines[3]);
    }

    @Test
    void shouldParseLockedForTheRunCommand() {
        Path cwd = Path.of("/tmp");
        assertTrue(ProcessCommands.Run.parse(List.of("-L", "-cp", "p", "Main"), cwd).spec().locked());
        assertTrue(ProcessCommands.Run.parse(List.of("--locked", "-n", "1", "-cp", "p", "Main"), cwd).spec().locked());
        assertFalse(ProcessCommands.Run.parse(List.of("-cp", "p", "Main", "-L"), cwd).spec().locked(),
                "after the class, -L is the program's");
        assertEquals(List.of("-L"), ProcessCommands.Run.parse(List.of("-cp", "p", "Main", "-L"), cwd).spec().args());
    }
}
