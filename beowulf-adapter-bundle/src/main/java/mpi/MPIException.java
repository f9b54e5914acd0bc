package mpi;

/** An MPI operation failed; the message names the operation, the input and what is allowed. */
public class MPIException extends Exception {

    private static final long serialVersionUID = 1L;

    public MPIException() {
        super();
    }

    public MPIException(String message) {
        super(message);
    }

    public MPIException(Throwable cause) {
        super(cause.getMessage(), cause);
    }

    public MPIException(String message, Throwable cause) {
        super(message, cause);
    }
}
