package mpi;

/**
 * An error handler. Errors in this binding are always thrown as {@link MPIException}; the handler
 * set on a communicator is kept and returned, as programs that set {@code ERRORS_RETURN} expect.
 */
public class Errhandler {

    static final int FATAL = 1;
    static final int RETURN = 2;

    final int kind;

    Errhandler(int kind) {
        this.kind = kind;
    }
}
