package mpi;

/**
 * A user reduction: combines {@code count} items of {@code datatype} from {@code invec} into
 * {@code inoutvec} ({@code inoutvec[i] = invec[i] op inoutvec[i]}). The vectors are the packed,
 * contiguous form of the items.
 */
public abstract class User_function {

    public abstract void Call(Object invec, int inoffset, Object inoutvec, int inoutoffset, int count,
            Datatype datatype) throws MPIException;
}
