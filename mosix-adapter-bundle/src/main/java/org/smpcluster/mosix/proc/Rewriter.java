package org.smpcluster.mosix.proc;

import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassHierarchyResolver;
import java.lang.classfile.ClassModel;
import java.lang.classfile.ClassTransform;
import java.lang.classfile.CodeBuilder;
import java.lang.classfile.CodeElement;
import java.lang.classfile.CodeModel;
import java.lang.classfile.CodeTransform;
import java.lang.classfile.Label;
import java.lang.classfile.MethodModel;
import java.lang.classfile.Opcode;
import java.lang.classfile.instruction.BranchInstruction;
import java.lang.classfile.instruction.ExceptionCatch;
import java.lang.classfile.instruction.FieldInstruction;
import java.lang.classfile.instruction.InvokeDynamicInstruction;
import java.lang.classfile.instruction.InvokeInstruction;
import java.lang.classfile.instruction.LabelTarget;
import java.lang.classfile.instruction.LookupSwitchInstruction;
import java.lang.classfile.instruction.TableSwitchInstruction;
import java.lang.constant.ClassDesc;
import java.lang.constant.ConstantDesc;
import java.lang.constant.DirectMethodHandleDesc;
import java.lang.constant.DynamicCallSiteDesc;
import java.lang.constant.MethodHandleDesc;
import java.lang.constant.MethodTypeDesc;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Rewrites a program's class as its process loader defines it (JDK {@code java.lang.classfile};
 * stack maps regenerated with the process's class hierarchy):
 * <ul>
 * <li>a call of {@code Hooks.poll()} at the entry of every method that calls or loops (a leaf
 * ends by itself, and its caller polled) and before every backward branch
 * (loops), so that a signal reaches even {@code while (true) {}}; but for the innermost
 * {@link CountedLoops counted loops} without calls, which end by themselves within 2^31
 * iterations: a poll there would cost them their unrolling and vectorization (HotSpot's C2 made
 * the same choice for its own safepoint polls until loop strip mining, JDK 10);
 * <li>{@code dup; Hooks.caught(t)} at the start of every typed exception handler, so that
 * {@code catch (Throwable t)} in a loop cannot swallow the unwinding of a killed process
 * (catch-any handlers, {@code finally} and {@code synchronized}, rethrow anyway and are left
 * alone, so monitors are released as javac meant);
 * <li>the JVM-wide members of {@code System}, {@code Runtime}, {@code Thread} and
 * {@code Throwable} replaced by the process's own in {@code Hooks} (calls, {@code getstatic} of
 * {@code System.in/out/err}, and method handles given to {@code invokedynamic}, e.g.
 * {@code System::exit}); calls of {@code ThisProcess} bound to the process.
 * </ul>
 * Not caught: reflection and method handles looked up at run time ({@code Method.invoke} of
 * {@code System.exit} still reaches the JVM's), and JDK code calling those members for the
 * program.
 */
final class Rewriter {

    static final String HOOKS_NAME = "org.smpcluster.mosix.rt.Hooks";
    static final ClassDesc HOOKS = ClassDesc.of(HOOKS_NAME);

    private static final MethodTypeDesc VOID = MethodTypeDesc.ofDescriptor("()V");
    private static final MethodTypeDesc CAUGHT = MethodTypeDesc.ofDescriptor("(Ljava/lang/Throwable;)V");

    /** owner.name+descriptor of a call (static or virtual) -> the Hooks method that replaces it. */
    private static final Map<String, Target> CALLS = new HashMap<>();
    /** getstatic owner.name -> the Hooks method returning the process's value. */
    private static final Map<String, Target> FIELDS = new HashMap<>();

    /** {@code virtual}: it replaces an instance method (of Runtime) and takes the receiver first. */
    record Target(String name, MethodTypeDesc type, boolean virtual) {
    }

    static {
        call("java/lang/System", "exit", "(I)V", "exit", "(I)V");
        call("java/lang/System", "setIn", "(Ljava/io/InputStream;)V", "setIn", null);
        call("java/lang/System", "setOut", "(Ljava/io/PrintStream;)V", "setOut", null);
        call("java/lang/System", "setErr", "(Ljava/io/PrintStream;)V", "setErr", null);
        call("java/lang/System", "console", "()Ljava/io/Console;", "console", null);
        call("java/lang/System", "getenv", "()Ljava/util/Map;", "getenv", null);
        call("java/lang/System", "getenv", "(Ljava/lang/String;)Ljava/lang/String;", "getenv", null);
        call("java/lang/System", "getProperty", "(Ljava/lang/String;)Ljava/lang/String;", "getProperty", null);
        call("java/lang/System", "getProperty", "(Ljava/lang/String;Ljava/lang/String;)Ljava/lang/String;",
                "getProperty", null);
        call("java/lang/Runtime", "exit", "(I)V", "runtimeExit", "(Ljava/lang/Runtime;I)V");
        call("java/lang/Runtime", "halt", "(I)V", "runtimeHalt", "(Ljava/lang/Runtime;I)V");
        call("java/lang/Runtime", "addShutdownHook", "(Ljava/lang/Thread;)V", "addShutdownHook",
                "(Ljava/lang/Runtime;Ljava/lang/Thread;)V");
        call("java/lang/Runtime", "removeShutdownHook", "(Ljava/lang/Thread;)Z", "removeShutdownHook",
                "(Ljava/lang/Runtime;Ljava/lang/Thread;)Z");
        call("java/lang/Thread", "setDefaultUncaughtExceptionHandler",
                "(Ljava/lang/Thread$UncaughtExceptionHandler;)V", "setDefaultUncaughtExceptionHandler", null);
        call("java/lang/Thread", "getDefaultUncaughtExceptionHandler",
                "()Ljava/lang/Thread$UncaughtExceptionHandler;", "getDefaultUncaughtExceptionHandler", null);
        String tp = "org/smpcluster/api/process/ThisProcess";
        call(tp, "pid", "()J", "pid", null);
        call(tp, "handle", "(Lorg/smpcluster/api/process/Signal;Ljava/lang/Runnable;)Z", "handle", null);
        call(tp, "migratable", "(Lorg/smpcluster/api/process/Migratable;)Z", "migratable", null);
        FIELDS.put("java/lang/System.in", new Target("in", MethodTypeDesc.ofDescriptor("()Ljava/io/InputStream;"), false));
        FIELDS.put("java/lang/System.out", new Target("out", MethodTypeDesc.ofDescriptor("()Ljava/io/PrintStream;"), false));
        FIELDS.put("java/lang/System.err", new Target("err", MethodTypeDesc.ofDescriptor("()Ljava/io/PrintStream;"), false));
    }

    private static void call(String owner, String name, String desc, String hook, String hookDesc) {
        CALLS.put(owner + "." + name + desc, new Target(hook, MethodTypeDesc.ofDescriptor(hookDesc == null ? desc : hookDesc),
                owner.equals("java/lang/Runtime")));
    }

    private final ClassFile classFile;

    Rewriter(ClassHierarchyResolver hierarchy) {
        this.classFile = ClassFile.of(ClassFile.ClassHierarchyResolverOption.of(hierarchy));
    }

    byte[] rewrite(byte[] bytes) {
        ClassModel model = classFile.parse(bytes);
        ClassTransform transform = (clb, cle) -> {
            if (cle instanceof MethodModel mm && mm.code().isPresent()) {
                clb.transformMethod(mm, (mb, me) -> {
                    if (me instanceof CodeModel code) {
                        mb.transformCode(code, new MethodRewrite(code));
                    } else {
                        mb.with(me);
                    }
                });
            } else {
                clb.with(cle);
            }
        };
        return classFile.transformClass(model, transform);
    }

    /**
     * One method's code: state is which labels are behind us, which start a typed handler, and
     * which backward branches close a loop that needs no poll.
     */
    private static final class MethodRewrite implements CodeTransform {

        private final Set<Label> seen = new HashSet<>();
        private final Set<Label> typedHandlers = new HashSet<>();
        /** Indices of elements (as the code model lists them, which is the order they come in) */
        private final Set<Integer> finiteLoops;
        private int index;
        private final boolean leaf;

        MethodRewrite(CodeModel code) {
            for (ExceptionCatch c : code.exceptionHandlers()) {
                if (c.catchType().isPresent()) {
                    typedHandlers.add(c.handler());
                }
            }
            List<CodeElement> elements = code.elementList();
            finiteLoops = CountedLoops.find(elements);
            leaf = isLeaf(elements);
        }

        /**
         * No call and no loop: it ends by itself in a few instructions, and whoever called it
         * polled. Getters and the like keep their size, and so their place in C2's inlining budget.
         */
        private static boolean isLeaf(List<CodeElement> elements) {
            Set<Label> bound = new HashSet<>();
            for (CodeElement e : elements) {
                switch (e) {
                    case LabelTarget t -> bound.add(t.label());
                    case InvokeInstruction i -> {
                        return false;
                    }
                    case InvokeDynamicInstruction i -> {
                        return false;
                    }
                    case BranchInstruction b -> {
                        if (bound.contains(b.target())) {
                            return false;
                        }
                    }
                    case TableSwitchInstruction s -> {
                        if (bound.contains(s.defaultTarget()) || s.cases().stream().anyMatch(c -> bound.contains(c.target()))) {
                            return false;
                        }
                    }
                    case LookupSwitchInstruction s -> {
                        if (bound.contains(s.defaultTarget()) || s.cases().stream().anyMatch(c -> bound.contains(c.target()))) {
                            return false;
                        }
                    }
                    default -> {
                    }
                }
            }
            return true;
        }

        @Override
        public void atStart(CodeBuilder cob) {
            if (!leaf) {
                cob.invokestatic(HOOKS, "poll", VOID);
            }
        }

        @Override
        public void accept(CodeBuilder cob, CodeElement e) {
            // Elements are made afresh on each pass over the code, so they are known by position.
            int at = index++;
            switch (e) {
                case LabelTarget t -> {
                    seen.add(t.label());
                    cob.with(e);
                    if (typedHandlers.contains(t.label())) {
                        cob.dup();
                        cob.invokestatic(HOOKS, "caught", CAUGHT);
                    }
                }
                case BranchInstruction b -> {
                    if (seen.contains(b.target()) && !finiteLoops.contains(at)) {
                        cob.invokestatic(HOOKS, "poll", VOID);
                    }
                    cob.with(e);
                }
                case TableSwitchInstruction s -> {
                    if (seen.contains(s.defaultTarget()) || s.cases().stream().anyMatch(c -> seen.contains(c.target()))) {
                        cob.invokestatic(HOOKS, "poll", VOID);
                    }
                    cob.with(e);
                }
                case LookupSwitchInstruction s -> {
                    if (seen.contains(s.defaultTarget()) || s.cases().stream().anyMatch(c -> seen.contains(c.target()))) {
                        cob.invokestatic(HOOKS, "poll", VOID);
                    }
                    cob.with(e);
                }
                case InvokeInstruction i -> {
                    Target t = target(i);
                    if (t != null) {
                        cob.invokestatic(HOOKS, t.name(), t.type());
                    } else {
                        cob.with(e);
                    }
                }
                case FieldInstruction f when f.opcode() == Opcode.GETSTATIC -> {
                    Target t = FIELDS.get(f.owner().asInternalName() + "." + f.name().stringValue());
                    if (t != null) {
                        cob.invokestatic(HOOKS, t.name(), t.type());
                    } else {
                        cob.with(e);
                    }
                }
                case InvokeDynamicInstruction d -> rewriteIndy(cob, d);
                default -> cob.with(e);
            }
        }

        private static Target target(InvokeInstruction i) {
            String owner = i.owner().asInternalName();
            String name = i.name().stringValue();
            String desc = i.type().stringValue();
            return switch (i.opcode()) {
                case INVOKESTATIC, INVOKEVIRTUAL -> {
                    if (i.opcode() == Opcode.INVOKEVIRTUAL && name.equals("printStackTrace") && desc.equals("()V")
                            && owner.startsWith("java/")) {
                        // Throwable and the JDK's exceptions (javac names the static type); a
                        // program's own exception classes keep their own printStackTrace().
                        yield new Target("printStackTrace", CAUGHT, true);
                    }
                    Target t = CALLS.get(owner + "." + name + desc);
                    yield t != null && t.virtual() == (i.opcode() == Opcode.INVOKEVIRTUAL) ? t : null;
                }
                default -> null;
            };
        }

        /** {@code System::exit} and the like, as method handles a lambda bootstrap is given. */
        private static void rewriteIndy(CodeBuilder cob, InvokeDynamicInstruction d) {
            boolean changed = false;
            ConstantDesc[] args = d.bootstrapArgs().toArray(ConstantDesc[]::new);
            for (int k = 0; k < args.length; k++) {
                if (args[k] instanceof DirectMethodHandleDesc h
                        && (h.kind() == DirectMethodHandleDesc.Kind.STATIC || h.kind() == DirectMethodHandleDesc.Kind.VIRTUAL)) {
                    String owner = h.owner().descriptorString();
                    owner = owner.substring(1, owner.length() - 1);
                    Target t = CALLS.get(owner + "." + h.methodName() + h.lookupDescriptor());
                    if (t != null && t.virtual() == (h.kind() == DirectMethodHandleDesc.Kind.VIRTUAL)) {
                        args[k] = MethodHandleDesc.ofMethod(DirectMethodHandleDesc.Kind.STATIC, HOOKS, t.name(), t.type());
                        changed = true;
                    }
                }
            }
            if (!changed) {
                cob.with(d);
                return;
            }
            DynamicCallSiteDesc site = d.invokedynamic().asSymbol();
            cob.invokedynamic(DynamicCallSiteDesc.of((DirectMethodHandleDesc) site.bootstrapMethod(), site.invocationName(),
                    site.invocationType(), args));
        }
    }
}
