package mpi;

import java.util.Arrays;

/** An intra-communicator with a graph topology. */
public class Graphcomm extends Intracomm {

    final int[] index;
    final int[] edges;

    Graphcomm(int context, Group group, int[] index, int[] edges) {
        super(context, group);
        this.index = index;
        this.edges = edges;
    }

    @Override
    public Object clone() {
        try {
            return new Graphcomm(agreedContext(), group, index, edges);
        } catch (MPIException e) {
            throw new IllegalStateException("clone: " + e.getMessage(), e);
        }
    }

    @Override
    public int Topo_test() throws MPIException {
        return MPI.GRAPH;
    }

    /** The index and edges the graph was made with. */
    public GraphParms Get() throws MPIException {
        GraphParms p = new GraphParms();
        p.index = index.clone();
        p.edges = edges.clone();
        return p;
    }

    /** The neighbours of {@code rank}. */
    public int[] Neighbours(int rank) throws MPIException {
        if (rank < 0 || rank >= index.length) {
            throw new MPIException("Neighbours: rank " + rank + " is not a node 0.." + (index.length - 1));
        }
        return Arrays.copyOfRange(edges, rank == 0 ? 0 : index[rank - 1], index[rank]);
    }

    /** The rank this process would have in such a graph, or {@code MPI.UNDEFINED}. */
    public int Map(int[] index, int[] edges) throws MPIException {
        int r = Rank();
        return r < index.length ? r : MPI.UNDEFINED;
    }
}
