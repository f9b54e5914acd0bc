package org.smpcluster.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.smpcluster.api.process.Placement;

class RunProgramTest {

    private static final Path CWD = Path.of("/work/here");

    @Test
    void shouldLeaveEverythingAfterTheClassToTheProgram() {
        RunProgram.Request r = RunProgram.parse(RunProgram.split(String.join("\u001f",
                "-n", "1", "-L", "-cp", "progs:/abs/lib.jar", "Main", "-n", "2", "", "a b")), CWD);

        assertEquals(Placement.on(1), r.where());
        assertTrue(r.spec().locked());
        assertEquals(List.of(CWD.resolve("progs"), Path.of("/abs/lib.jar")), r.spec().classPath());
        assertEquals("Main", r.spec().mainClass());
        assertEquals(List.of("-n", "2", "", "a b"), r.spec().args());
        assertEquals(CWD, r.spec().workingDirectory());
    }

    @Test
    void shouldRunAJarsMainClass() {
        RunProgram.Request r = RunProgram.parse(List.of("-b", "-jar", "app.jar", "x"), CWD);

        assertEquals(Placement.BEST, r.where());
        assertEquals(null, r.spec().mainClass());
        assertEquals(List.of("x"), r.spec().args());
    }

    @Test
    void shouldNameWhatIsWrongWithTheOptions() {
        assertEquals("option=-x is not one of -n --node -h --home -b --best -L --locked --name -cp --class-path -jar"
                + " --help (./smpcluster run --help)",
                assertThrows(IllegalArgumentException.class, () -> RunProgram.parse(List.of("-x"), CWD)).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> RunProgram.parse(List.of("-n", "one"), CWD))
                .getMessage().startsWith("vnode=one is not a vnode id"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> RunProgram.parse(List.of("-cp", "x"), CWD))
                .getMessage().startsWith("no class"));
    }

    @Test
    void shouldGiveAShellsStatusForAProgramThatDidNotStart() {
        assertEquals(127, RunProgram.statusOfRefusal("class=Nope is not on classpath=[/tmp]"));
        assertEquals(127, RunProgram.statusOfRefusal("classpath entry=/x does not exist (allowed: a jar or a directory)"));
        assertEquals(126, RunProgram.statusOfRefusal("classpath entry=/x.jar is not a jar (zip END header not found)"));
        assertEquals(126, RunProgram.statusOfRefusal("class=Main has no main method"));
    }
}
