package mpjbuf;

/** A {@link Buffer} operation failed: too little room, or too little data left to read. */
public class BufferException extends Exception {

    private static final long serialVersionUID = 1L;

    public BufferException(String message) {
        super(message);
    }
}
