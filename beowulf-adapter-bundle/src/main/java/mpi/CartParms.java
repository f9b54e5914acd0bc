package mpi;

/** The topology of a {@link Cartcomm}: its dimensions, periodicity and this process's coordinates. */
public class CartParms {

    public int[] dims;
    public boolean[] periods;
    public int[] coords;
}
