package org.smpcluster.beowulf.mpj.programs;

import mpi.CartParms;
import mpi.Cartcomm;
import mpi.Comm;
import mpi.GraphParms;
import mpi.Graphcomm;
import mpi.Group;
import mpi.Intercomm;
import mpi.Intracomm;
import mpi.MPI;
import mpi.MPIException;
import mpi.ShiftParms;

/** Rank programs for groups, Split, Create, topologies and inter-communicators. */
public final class Communicators {

    private Communicators() {
    }

    public static Object all() throws MPIException {
        MPI.Init(new String[0]);
        Intracomm w = MPI.COMM_WORLD;
        int rank = w.Rank();
        int n = w.Size();
        Group world = w.Group();
        Group evens = world.Range_incl(new int[][] {{0, n - 1, 2}});
        Group odds = Group.Difference(world, evens);
        Check.equal(n / 2, evens.Size(), "evens");
        Check.equal(MPI.IDENT, Group.Compare(Group.Union(world, evens), world), "Union with a subset");
        Check.equal(MPI.SIMILAR, Group.Compare(Group.Union(odds, evens), world), "Union of odds first is similar");
        Check.equal(0, Group.Intersection(evens, odds).Size(), "Intersection");
        int[] t = Group.Translate_ranks(world, new int[] {0, 1}, evens);
        Check.equal(new int[] {0, MPI.UNDEFINED}, t, "Translate_ranks");
        Check.equal(rank % 2 == 0 ? rank / 2 : MPI.UNDEFINED, evens.Rank(), "Rank in a group");
        Check.equal(n - 1, world.Incl(new int[] {n - 1}).Range_excl(new int[0][]).Size() + n - 2, "Range_excl of none");

        Intracomm split = w.Split(rank % 2, -rank);
        Check.equal(n / 2, split.Size(), "Split size");
        Check.equal((n / 2 - 1) - rank / 2, split.Rank(), "Split ordered by key");
        int[] s = new int[1];
        split.Allreduce(new int[] {rank}, 0, s, 0, 1, MPI.INT, MPI.SUM);
        int expect = 0;
        for (int i = rank % 2; i < n; i += 2) {
            expect += i;
        }
        Check.equal(expect, s[0], "collective in a Split communicator");
        Check.that(w.Split(rank == 0 ? 0 : MPI.UNDEFINED, 0) == null || rank == 0, "UNDEFINED colour gets null");

        Intracomm ev = w.Create(evens);
        Check.that((ev != null) == (rank % 2 == 0), "Create gives null outside the group");
        if (ev != null) {
            ev.Barrier();
            Check.equal(rank / 2, ev.Rank(), "Create rank");
        }

        int[] dims = new int[2];
        Cartcomm.Dims_create(n, dims);
        Check.equal(n, dims[0] * dims[1], "Dims_create");
        Cartcomm cart = w.Create_cart(dims, new boolean[] {true, false}, false);
        Check.equal(MPI.CART, cart.Topo_test(), "Topo_test cart");
        CartParms p = cart.Get();
        Check.equal(cart.Rank(), cart.Rank(p.coords), "Rank(Coords)");
        ShiftParms sh = cart.Shift(0, 1);
        int[] got = new int[1];
        cart.Sendrecv(new int[] {rank}, 0, 1, MPI.INT, sh.rank_dest, 1, got, 0, 1, MPI.INT, sh.rank_source, 1);
        Check.equal(sh.rank_source, got[0], "periodic shift");
        ShiftParms edge = cart.Shift(1, 1);
        if (p.coords[1] == dims[1] - 1) {
            Check.equal(MPI.PROC_NULL, edge.rank_dest, "non-periodic edge");
        }
        Cartcomm rowc = cart.Sub(new boolean[] {false, true});
        Check.equal(dims[1], rowc.Size(), "Sub size");

        // A ring graph.
        int[] index = new int[n];
        int[] edges = new int[2 * n];
        for (int i = 0; i < n; i++) {
            index[i] = 2 * (i + 1);
            edges[2 * i] = (i + 1) % n;
            edges[2 * i + 1] = (i - 1 + n) % n;
        }
        Graphcomm g = w.Create_graph(index, edges, false);
        Check.equal(MPI.GRAPH, g.Topo_test(), "Topo_test graph");
        Check.equal(new int[] {(rank + 1) % n, (rank - 1 + n) % n}, g.Neighbours(rank), "Neighbours");
        GraphParms gp = g.Get();
        Check.equal(index, gp.index, "graph index");

        // Inter-communicator between the evens and the odds, and back by Merge.
        // Split rank 0 of each half is its highest world rank (keys are -rank).
        Intercomm ic = w.Create_intercomm(split, 0, rank % 2 == 0 ? n - 1 : n - 2, 99);
        Check.that(ic.Test_inter(), "Test_inter");
        Check.equal(n / 2, ic.Remote_size(), "Remote_size");
        int peer = split.Rank();
        int[] r = new int[1];
        ic.Sendrecv(new int[] {rank}, 0, 1, MPI.INT, peer, 5, r, 0, 1, MPI.INT, peer, 5);
        Check.equal(Group.Translate_ranks(ic.Remote_group(), new int[] {peer}, w.Group())[0], r[0],
                "message across the inter-communicator");
        Intracomm merged = ic.Merge(rank % 2 == 1);
        Check.equal(n, merged.Size(), "Merge size");
        Check.equal((rank % 2 == 0 ? 0 : n / 2) + (n / 2 - 1 - rank / 2), merged.Rank(), "Merge puts the low group first");
        merged.Barrier();
        Check.equal(MPI.UNEQUAL, Comm.Compare(split, w), "Compare different groups");
        MPI.Finalize();
        return "ok";
    }

    /** Abort ends the job: the other ranks' waits end too. */
    public static Object abort() throws MPIException {
        MPI.Init(new String[0]);
        if (MPI.COMM_WORLD.Rank() == 0) {
            MPI.COMM_WORLD.Abort(3);
        }
        MPI.COMM_WORLD.Recv(new int[1], 0, 1, MPI.INT, 0, 1);
        return "not reached";
    }
}
