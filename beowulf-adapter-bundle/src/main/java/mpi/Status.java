package mpi;

/** What a completed receive (or probe) learned: the source, the tag, and how many elements came. */
public class Status {

    /** The rank of the source in the communicator, or {@code MPI.PROC_NULL}. */
    public int source;
    /** The tag of the message. */
    public int tag;
    /** In {@code Waitany}/{@code Testany}/{@code Waitsome}: the index of the request in the array. */
    public int index = MPI.UNDEFINED;

    int elements;
    boolean cancelled;

    public Status() {
    }

    Status(int source, int tag, int elements) {
        this.source = source;
        this.tag = tag;
        this.elements = elements;
    }

    /** The number of items of {@code datatype} received, or {@code MPI.UNDEFINED} if not a whole number. */
    public int Get_count(Datatype datatype) throws MPIException {
        int size = datatype.Size();
        if (size == 0) {
            return elements == 0 ? 0 : MPI.UNDEFINED;
        }
        return elements % size == 0 ? elements / size : MPI.UNDEFINED;
    }

    /** The number of base elements received. */
    public int Get_elements(Datatype datatype) throws MPIException {
        return elements;
    }

    /** Whether the request this status is of was cancelled. */
    public boolean Test_cancelled() throws MPIException {
        return cancelled;
    }
}
