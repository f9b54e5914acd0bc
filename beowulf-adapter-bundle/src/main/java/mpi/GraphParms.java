package mpi;

/** The topology of a {@link Graphcomm}: cumulative degrees and the edges, as MPI_Graph_create takes them. */
public class GraphParms {

    public int[] index;
    public int[] edges;
}
