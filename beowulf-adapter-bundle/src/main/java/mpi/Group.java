package mpi;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** An ordered set of processes, held as their ranks in {@code MPI.COMM_WORLD}. */
public class Group {

    final int[] ranks;

    Group(int[] worldRanks) {
        this.ranks = worldRanks;
    }

    /** The number of processes in the group. */
    public int Size() throws MPIException {
        return ranks.length;
    }

    /** This process's rank in the group, or {@code MPI.UNDEFINED}. */
    public int Rank() throws MPIException {
        return indexOf(MPI.worldRank());
    }

    int indexOf(int world) {
        for (int i = 0; i < ranks.length; i++) {
            if (ranks[i] == world) {
                return i;
            }
        }
        return MPI.UNDEFINED;
    }

    /** The ranks in {@code group2} of the processes with ranks {@code ranks1} in {@code group1}. */
    public static int[] Translate_ranks(Group group1, int[] ranks1, Group group2) throws MPIException {
        int[] out = new int[ranks1.length];
        for (int i = 0; i < ranks1.length; i++) {
            group1.check("Translate_ranks", ranks1[i]);
            out[i] = group2.indexOf(group1.ranks[ranks1[i]]);
        }
        return out;
    }

    /** {@code MPI.IDENT} (same members, same order), {@code MPI.SIMILAR} (same members) or {@code MPI.UNEQUAL}. */
    public static int Compare(Group group1, Group group2) throws MPIException {
        if (Arrays.equals(group1.ranks, group2.ranks)) {
            return MPI.IDENT;
        }
        int[] a = group1.ranks.clone();
        int[] b = group2.ranks.clone();
        Arrays.sort(a);
        Arrays.sort(b);
        return Arrays.equals(a, b) ? MPI.SIMILAR : MPI.UNEQUAL;
    }

    /** The members of {@code group1}, then those of {@code group2} not in {@code group1}. */
    public static Group Union(Group group1, Group group2) throws MPIException {
        Set<Integer> s = new LinkedHashSet<>();
        for (int r : group1.ranks) {
            s.add(r);
        }
        for (int r : group2.ranks) {
            s.add(r);
        }
        return new Group(s.stream().mapToInt(Integer::intValue).toArray());
    }

    /** The members of {@code group1} that are also in {@code group2}, in {@code group1}'s order. */
    public static Group Intersection(Group group1, Group group2) throws MPIException {
        return new Group(Arrays.stream(group1.ranks).filter(r -> group2.indexOf(r) != MPI.UNDEFINED).toArray());
    }

    /** The members of {@code group1} not in {@code group2}, in {@code group1}'s order. */
    public static Group Difference(Group group1, Group group2) throws MPIException {
        return new Group(Arrays.stream(group1.ranks).filter(r -> group2.indexOf(r) == MPI.UNDEFINED).toArray());
    }

    private void check(String op, int rank) throws MPIException {
        if (rank < 0 || rank >= ranks.length) {
            throw new MPIException(op + ": rank " + rank + " is not in a group of " + ranks.length);
        }
    }

    /** The group of the members with ranks {@code ranks}, in that order. */
    public Group Incl(int[] ranks) throws MPIException {
        int[] out = new int[ranks.length];
        Set<Integer> seen = new LinkedHashSet<>();
        for (int i = 0; i < ranks.length; i++) {
            check("Incl", ranks[i]);
            if (!seen.add(ranks[i])) {
                throw new MPIException("Incl: rank " + ranks[i] + " is listed twice");
            }
            out[i] = this.ranks[ranks[i]];
        }
        return new Group(out);
    }

    /** The group without the members with ranks {@code ranks}. */
    public Group Excl(int[] ranks) throws MPIException {
        boolean[] drop = new boolean[this.ranks.length];
        for (int r : ranks) {
            check("Excl", r);
            drop[r] = true;
        }
        List<Integer> keep = new ArrayList<>();
        for (int i = 0; i < this.ranks.length; i++) {
            if (!drop[i]) {
                keep.add(this.ranks[i]);
            }
        }
        return new Group(keep.stream().mapToInt(Integer::intValue).toArray());
    }

    private int[] expand(String op, int[][] ranges) throws MPIException {
        List<Integer> out = new ArrayList<>();
        for (int[] t : ranges) {
            if (t.length != 3 || t[2] == 0) {
                throw new MPIException(op + ": a range is {first, last, stride} with stride != 0, got " + Arrays.toString(t));
            }
            for (int r = t[0]; t[2] > 0 ? r <= t[1] : r >= t[1]; r += t[2]) {
                check(op, r);
                out.add(r);
            }
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    /** {@link #Incl} of the ranks in triples {first, last, stride}. */
    public Group Range_incl(int[][] ranges) throws MPIException {
        return Incl(expand("Range_incl", ranges));
    }

    /** {@link #Excl} of the ranks in triples {first, last, stride}. */
    public Group Range_excl(int[][] ranges) throws MPIException {
        return Excl(expand("Range_excl", ranges));
    }

    public void Free() throws MPIException {
    }
}
