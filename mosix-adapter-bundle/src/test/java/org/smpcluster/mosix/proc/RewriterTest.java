package org.smpcluster.mosix.proc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassHierarchyResolver;
import java.lang.classfile.ClassModel;
import java.lang.classfile.MethodModel;
import java.lang.classfile.instruction.InvokeInstruction;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.smpcluster.api.process.ProcessInfo;
import org.smpcluster.api.process.ProcessSpec;
import org.smpcluster.api.process.Signal;
import org.smpcluster.mosix.proc.Programs.Capture;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RewriterTest {

    private ProcessTable table;

    @BeforeEach
    void setUp() {
        table = new ProcessTable(1, (name, body) -> {
            Thread t = new Thread(body, name);
            t.setDaemon(true);
            return t;
        });
    }

    @AfterEach
    void tearDown() {
        table.close();
    }

    private static long polls(ClassModel c, String method) {
        MethodModel m = c.methods().stream().filter(x -> x.methodName().equalsString(method)).findFirst().orElseThrow();
        return m.code().orElseThrow().elementStream()
                .filter(e -> e instanceof InvokeInstruction i && i.owner().asInternalName().equals("org/smpcluster/mosix/rt/Hooks")
                        && i.name().equalsString("poll"))
                .count();
    }

    @Test
    void shouldLeaveCountedInnermostLoopsAndLeavesWithoutAPoll() throws Exception {
        Path programs = Programs.classes();
        byte[] bytes = Files.readAllBytes(programs.resolve("Counted.class"));
        ClassHierarchyResolver r = ClassHierarchyResolver.ofResourceParsing(ClassLoader.getPlatformClassLoader());
        ClassModel c = ClassFile.of().parse(new Rewriter(r).rewrite(bytes));
        assertEquals(1, polls(c, "sum"), "the entry only: i < a.length; i++ ends by itself");
        assertEquals(1, polls(c, "down"), "the entry only: i >= 0; i--");
        assertEquals(2, polls(c, "nested"), "the entry and the outer loop, not the inner one");
        assertEquals(0, polls(c, "leaf"), "no call, no loop: no poll");
        assertEquals(1, polls(c, "main"), "main calls: a poll at its entry");

        Capture out = new Capture();
        ProcessInfo p = table.spawn(ProcessSpec.of("Counted", programs).withStdout(out));
        assertEquals(0, table.onExit(p.pid()).get(10, TimeUnit.SECONDS).code());
        assertEquals("4965\n", out.text().replace("\r", ""), "6 + 6 + 4950 + 3, as java -cp computes");
    }

    @ParameterizedTest
    @ValueSource(strings = {"le", "step0", "continue", "store", "down"})
    void shouldStillPollLoopsThatOnlyLookCounted(String shape) throws Exception {
        Capture out = new Capture();
        ProcessInfo p = table.spawn(ProcessSpec.of("Tricky", Programs.classes()).withArgs(shape).withStdout(out));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!out.text().contains("looping") && System.nanoTime() < deadline) {
            java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
        }
        table.signal(p.pid(), Signal.SIGKILL);
        assertEquals(137, table.onExit(p.pid()).get(2, TimeUnit.SECONDS).code(), shape + " ends on SIGKILL");
    }
}
