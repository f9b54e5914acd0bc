package org.smpcluster.mosix.proc;

import java.lang.classfile.CodeElement;
import java.lang.classfile.Instruction;
import java.lang.classfile.Label;
import java.lang.classfile.Opcode;
import java.lang.classfile.TypeKind;
import java.lang.classfile.instruction.BranchInstruction;
import java.lang.classfile.instruction.ConstantInstruction;
import java.lang.classfile.instruction.IncrementInstruction;
import java.lang.classfile.instruction.InvokeDynamicInstruction;
import java.lang.classfile.instruction.InvokeInstruction;
import java.lang.classfile.instruction.LabelTarget;
import java.lang.classfile.instruction.LoadInstruction;
import java.lang.classfile.instruction.LookupSwitchInstruction;
import java.lang.classfile.instruction.OperatorInstruction;
import java.lang.classfile.instruction.StoreInstruction;
import java.lang.classfile.instruction.TableSwitchInstruction;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The backward branches that close an innermost int loop which provably ends by itself: the
 * loops a poll would slow down most (it stops C2 from unrolling and vectorizing them) and need
 * it least. javac compiles {@code for (int i = a; i < b; i++) body} (and {@code while} loops of
 * that shape) as
 * <pre>
 *   head: iload i ; (iload b | int constant | aload x ; arraylength) ; if_icmpge exit
 *         body
 *         iinc i, 1
 *         goto head
 *   exit:
 * </pre>
 * with {@code if_icmple} for {@code i > b; i--}, and {@code iflt}/{@code ifle} ({@code i >= 0},
 * {@code i > 0}; i--) or {@code ifge}/{@code ifgt} ({@code i < 0}, {@code i <= 0}; i++) against
 * zero. Such a loop qualifies when the {@code iinc} by one toward the bound comes right before
 * the {@code goto} (no label between: every path through the body steps {@code i}), the body
 * neither stores {@code i}, {@code b} or {@code x} nor steps {@code i} elsewhere, and has no call
 * (whose callee may not poll), no switch and no other backward branch (an inner loop). Strict
 * compares with steps of one only: {@code i <= Integer.MAX_VALUE} or {@code i += 2} could wrap
 * around and never end. Such a loop runs at most 2^32 times through straight-line code; that
 * bounds how late a signal takes effect in it.
 */
final class CountedLoops {

    private CountedLoops() {
    }

    /** The indices, in {@code code}, of the {@code goto}s that close such loops. */
    static Set<Integer> find(List<CodeElement> code) {
        Map<Label, Integer> at = new HashMap<>();
        for (int k = 0; k < code.size(); k++) {
            if (code.get(k) instanceof LabelTarget t) {
                at.put(t.label(), k);
            }
        }
        Set<Integer> finite = new HashSet<>();
        for (int k = 0; k < code.size(); k++) {
            if (code.get(k) instanceof BranchInstruction b && (b.opcode() == Opcode.GOTO || b.opcode() == Opcode.GOTO_W)) {
                Integer head = at.get(b.target());
                if (head != null && head < k && counted(code, at, head, k)) {
                    finite.add(k);
                }
            }
        }
        return finite;
    }

    private static boolean counted(List<CodeElement> code, Map<Label, Integer> at, int head, int back) {
        List<Instruction> tail = instructionsBefore(code, back, 1);
        if (tail.isEmpty() || !(tail.getFirst() instanceof IncrementInstruction inc)
                || (inc.constant() != 1 && inc.constant() != -1)) {
            return false;
        }
        int counter = inc.slot();
        int step = inc.constant();
        List<Instruction> first = instructionsAfter(code, head, 4);
        if (first.size() < 2 || !(first.getFirst() instanceof LoadInstruction i) || i.typeKind() != TypeKind.INT
                || i.slot() != counter) {
            return false;
        }
        int boundLocal = -1;
        int arrayLocal = -1;
        int exitAt;
        Instruction second = first.get(1);
        if (second instanceof LoadInstruction l && l.typeKind() == TypeKind.INT) {
            boundLocal = l.slot();
            exitAt = 2;
        } else if (second instanceof ConstantInstruction c && c.constantValue() instanceof Integer) {
            exitAt = 2;
        } else if (second instanceof LoadInstruction a && a.typeKind() == TypeKind.REFERENCE && first.size() > 2
                && first.get(2) instanceof OperatorInstruction o && o.opcode() == Opcode.ARRAYLENGTH) {
            arrayLocal = a.slot();
            exitAt = 3;
        } else {
            exitAt = 1;
        }
        if (first.size() <= exitAt || !(first.get(exitAt) instanceof BranchInstruction exit)) {
            return false;
        }
        Opcode op = exit.opcode();
        boolean ok = exitAt == 1
                ? (step == -1 && (op == Opcode.IFLT || op == Opcode.IFLE)) || (step == 1 && (op == Opcode.IFGE || op == Opcode.IFGT))
                : (step == 1 && op == Opcode.IF_ICMPGE) || (step == -1 && op == Opcode.IF_ICMPLE);
        Integer exitTarget = at.get(exit.target());
        if (!ok || exitTarget == null || exitTarget <= back || counter == boundLocal) {
            return false;
        }
        for (int k = head; k < back; k++) {
            CodeElement e = code.get(k);
            switch (e) {
                case IncrementInstruction n -> {
                    if ((n.slot() == counter && n != inc) || n.slot() == boundLocal) {
                        return false;
                    }
                }
                case StoreInstruction st -> {
                    if (st.slot() == counter || st.slot() == boundLocal || st.slot() == arrayLocal) {
                        return false;
                    }
                }
                case InvokeInstruction n -> {
                    return false;
                }
                case InvokeDynamicInstruction n -> {
                    return false;
                }
                case TableSwitchInstruction n -> {
                    return false;
                }
                case LookupSwitchInstruction n -> {
                    return false;
                }
                case BranchInstruction inner -> {
                    Integer t = at.get(inner.target());
                    if (t == null || t <= k) {
                        return false; // another loop inside this one
                    }
                }
                default -> {
                }
            }
        }
        return true;
    }

    /** Up to {@code n} instructions right after the label at {@code index}, stopping at the next label. */
    private static List<Instruction> instructionsAfter(List<CodeElement> code, int index, int n) {
        List<Instruction> out = new ArrayList<>();
        for (int k = index + 1; k < code.size() && out.size() < n; k++) {
            CodeElement e = code.get(k);
            if (e instanceof LabelTarget) {
                break; // another way into the loop's test
            }
            if (e instanceof Instruction i) {
                out.add(i);
            }
        }
        return out;
    }

    /** Up to {@code n} instructions right before {@code index}, in order, skipping labels and line numbers. */
    private static List<Instruction> instructionsBefore(List<CodeElement> code, int index, int n) {
        List<Instruction> out = new ArrayList<>();
        for (int k = index - 1; k >= 0 && out.size() < n; k--) {
            CodeElement e = code.get(k);
            if (e instanceof LabelTarget) {
                break; // a jump to the goto itself would skip the step
            }
            if (e instanceof Instruction i) {
                out.addFirst(i);
            }
        }
        return out;
    }
}
