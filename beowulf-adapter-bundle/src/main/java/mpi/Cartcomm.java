package mpi;

import java.util.Arrays;

/** An intra-communicator with a Cartesian topology; ranks are laid out in row-major order. */
public class Cartcomm extends Intracomm {

    final int[] dims;
    final boolean[] periods;

    Cartcomm(int context, Group group, int[] dims, boolean[] periods) {
        super(context, group);
        this.dims = dims;
        this.periods = periods;
    }

    @Override
    public Object clone() {
        try {
            return new Cartcomm(agreedContext(), group, dims, periods);
        } catch (MPIException e) {
            throw new IllegalStateException("clone: " + e.getMessage(), e);
        }
    }

    @Override
    public int Topo_test() throws MPIException {
        return MPI.CART;
    }

    /** The dimensions, periods and this process's coordinates. */
    public CartParms Get() throws MPIException {
        CartParms p = new CartParms();
        p.dims = dims.clone();
        p.periods = periods.clone();
        p.coords = Coords(Rank());
        return p;
    }

    /** The rank at {@code coords} (wrapped in periodic dimensions). */
    public int Rank(int[] coords) throws MPIException {
        if (coords.length != dims.length) {
            throw new MPIException("Rank: coords has " + coords.length + " entries, the grid " + dims.length + " dimensions");
        }
        int rank = 0;
        for (int i = 0; i < dims.length; i++) {
            int c = coords[i];
            if (periods[i]) {
                c = Math.floorMod(c, dims[i]);
            } else if (c < 0 || c >= dims[i]) {
                throw new MPIException("Rank: coordinate " + c + " of dimension " + i + " is not in 0.." + (dims[i] - 1));
            }
            rank = rank * dims[i] + c;
        }
        return rank;
    }

    /** The coordinates of {@code rank}. */
    public int[] Coords(int rank) throws MPIException {
        if (rank < 0 || rank >= group.ranks.length) {
            throw new MPIException("Coords: rank " + rank + " is not in 0.." + (group.ranks.length - 1));
        }
        int[] c = new int[dims.length];
        for (int i = dims.length - 1; i >= 0; i--) {
            c[i] = rank % dims[i];
            rank /= dims[i];
        }
        return c;
    }

    /** The ranks {@code disp} steps back and forth along {@code direction} ({@code MPI.PROC_NULL} off an edge). */
    public ShiftParms Shift(int direction, int disp) throws MPIException {
        if (direction < 0 || direction >= dims.length) {
            throw new MPIException("Shift: direction " + direction + " is not in 0.." + (dims.length - 1));
        }
        int[] c = Coords(Rank());
        ShiftParms p = new ShiftParms();
        p.rank_dest = neighbour(c, direction, disp);
        p.rank_source = neighbour(c, direction, -disp);
        return p;
    }

    private int neighbour(int[] c, int direction, int disp) throws MPIException {
        int[] n = c.clone();
        n[direction] += disp;
        if (!periods[direction] && (n[direction] < 0 || n[direction] >= dims[direction])) {
            return MPI.PROC_NULL;
        }
        return Rank(n);
    }

    /** The sub-grids keeping the dimensions where {@code remain_dims} is true (collective). */
    public Cartcomm Sub(boolean[] remain_dims) throws MPIException {
        if (remain_dims.length != dims.length) {
            throw new MPIException("Sub: remain_dims has " + remain_dims.length + " entries, the grid " + dims.length + " dimensions");
        }
        int[] c = Coords(Rank());
        int colour = 0;
        int key = 0;
        int kept = 0;
        for (int i = 0; i < dims.length; i++) {
            if (remain_dims[i]) {
                key = key * dims[i] + c[i];
                kept++;
            } else {
                colour = colour * dims[i] + c[i];
            }
        }
        Intracomm sub = Split(colour, key);
        int[] d = new int[kept];
        boolean[] p = new boolean[kept];
        for (int i = 0, k = 0; i < dims.length; i++) {
            if (remain_dims[i]) {
                d[k] = dims[i];
                p[k++] = periods[i];
            }
        }
        return new Cartcomm(sub.context, sub.group, d, p);
    }

    /** The rank this process would have in a grid of {@code dims}, or {@code MPI.UNDEFINED}. */
    public int Map(int[] dims, boolean[] periods) throws MPIException {
        int prod = Arrays.stream(dims).reduce(1, (a, b) -> a * b);
        int r = Rank();
        return r < prod ? r : MPI.UNDEFINED;
    }

    /** Fills the zero entries of {@code dims} with a balanced factorisation of {@code nnodes}. */
    public static void Dims_create(int nnodes, int[] dims) throws MPIException {
        int fixed = 1;
        int free = 0;
        for (int d : dims) {
            if (d < 0) {
                throw new MPIException("Dims_create: dims " + Arrays.toString(dims) + " must be >= 0");
            }
            if (d > 0) {
                fixed *= d;
            } else {
                free++;
            }
        }
        if (nnodes % fixed != 0) {
            throw new MPIException("Dims_create: nnodes=" + nnodes + " is not a multiple of the fixed dims' product " + fixed);
        }
        if (free == 0) {
            if (fixed != nnodes) {
                throw new MPIException("Dims_create: dims " + Arrays.toString(dims) + " multiply to " + fixed + ", not nnodes=" + nnodes);
            }
            return;
        }
        int[] f = new int[free];
        Arrays.fill(f, 1);
        int left = nnodes / fixed;
        // Deal the prime factors, largest first, to the currently smallest dimension.
        java.util.List<Integer> primes = new java.util.ArrayList<>();
        for (int p = 2; left > 1; p++) {
            while (left % p == 0) {
                primes.add(p);
                left /= p;
            }
        }
        for (int i = primes.size() - 1; i >= 0; i--) {
            int min = 0;
            for (int j = 1; j < free; j++) {
                if (f[j] < f[min]) {
                    min = j;
                }
            }
            f[min] *= primes.get(i);
        }
        Arrays.sort(f);
        for (int i = 0, k = free - 1; i < dims.length; i++) {
            if (dims[i] == 0) {
                dims[i] = f[k--];
            }
        }
    }
}
