package mpi;

/** The neighbours a {@link Cartcomm#Shift} names: where to receive from and where to send to. */
public class ShiftParms {

    public int rank_source;
    public int rank_dest;
}
