package org.smpcluster.mosix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.smpcluster.api.process.ExitStatus;
import org.smpcluster.api.process.ProcessInfo;
import org.smpcluster.api.process.ProcessManager;
import org.smpcluster.api.process.ProcessSpec;
import org.smpcluster.api.process.Signal;

/**
 * Fuzz target of the command lines people type: {@code mosix:run}'s and {@code mosix:kill}'s
 * arguments (corpus in {@code src/test/resources/fuzz/cmdline}, one argument a line, the first
 * naming the command), arbitrary and mutated. Only {@link IllegalArgumentException}, with a
 * message; a parsed run hands the program exactly the arguments after its class or jar.
 */
@net.jqwik.api.Tag("fuzz")
class CommandLineFuzzTest {

    private static final List<List<String>> CORPUS = corpus();

    /** Knows no process: every PID is unknown, as on an empty vnode. */
    private static final ProcessManager EMPTY = new ProcessManager() {
        @Override
        public ProcessInfo spawn(ProcessSpec spec) {
            throw new IllegalArgumentException("fuzz: not spawning " + spec.mainClass());
        }

        @Override
        public List<ProcessInfo> processes() {
            return List.of();
        }

        @Override
        public Optional<ProcessInfo> info(long pid) {
            return Optional.empty();
        }

        @Override
        public void signal(long pid, Signal signal) {
            throw new IllegalArgumentException("pid=" + pid + " is not a process of vnode 0");
        }

        @Override
        public CompletableFuture<ExitStatus> onExit(long pid) {
            throw new IllegalArgumentException("pid=" + pid + " is not a process of vnode 0");
        }
    };

    private static List<List<String>> corpus() {
        try (Stream<Path> s = Files.list(Path.of(CommandLineFuzzTest.class.getResource("/fuzz/cmdline").toURI()))) {
            return s.sorted().map(p -> {
                try {
                    return Files.readAllLines(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }).toList();
        } catch (IOException | URISyntaxException e) {
            throw new IllegalStateException("the fuzz corpus fuzz/cmdline is missing", e);
        }
    }

    @Property(tries = 1000, edgeCases = net.jqwik.api.EdgeCasesMode.MIXIN)
    void shouldParseOrSayWhatIsWrong(@ForAll("commandLines") List<String> line) {
        assertTimeoutPreemptively(Duration.ofSeconds(2), () -> {
            if (line.isEmpty()) {
                return;
            }
            String[] args = line.subList(1, line.size()).toArray(String[]::new);
            try {
                if (line.getFirst().equals("kill")) {
                    new ProcessCommands(EMPTY).kill(args);
                } else {
                    ProcessCommands.Run r = ProcessCommands.Run.parse(List.of(args), Path.of("/fuzz"));
                    if (r != null) {
                        List<String> given = r.spec().args();
                        assertEquals(List.of(args).subList(args.length - given.size(), args.length), given,
                                "the program's arguments are the tail of the line");
                    }
                }
            } catch (IllegalArgumentException e) {
                if (e.getMessage() == null || e.getMessage().isBlank()) {
                    throw new AssertionError("an error without a message for " + line, e);
                }
            }
        });
    }

    @Provide
    Arbitrary<List<String>> commandLines() {
        Arbitrary<String> word = Arbitraries.oneOf(
                Arbitraries.strings().ofMaxLength(12),
                Arbitraries.of("-cp", "-jar", "-d", "--detach", "--name", "--help", "-9", "-KILL", "-STOP", "-", "--",
                        ":", "1", "0", "-1", "1000001", "Main", "x.jar", "99999999999999999999"));
        Arbitrary<List<String>> fresh = Combinators.combine(Arbitraries.of("run", "kill"), word.list().ofMaxSize(8))
                .as((c, w) -> {
                    List<String> l = new ArrayList<>(w);
                    l.addFirst(c);
                    return l;
                });
        Arbitrary<List<String>> mutated = Combinators.combine(Arbitraries.of(CORPUS), word,
                Arbitraries.integers().between(0, 2), Arbitraries.integers().between(0, 16))
                .as((seed, w, op, where) -> {
                    List<String> l = new ArrayList<>(seed);
                    int at = 1 + where % Math.max(1, l.size());
                    switch (op) {
                        case 0 -> l.add(Math.min(at, l.size()), w);
                        case 1 -> {
                            if (at < l.size()) {
                                l.remove(at);
                            }
                        }
                        default -> {
                            if (at < l.size()) {
                                l.set(at, w);
                            }
                        }
                    }
                    return l;
                });
        return Arbitraries.oneOf(fresh, mutated, Arbitraries.of(CORPUS));
    }
}
