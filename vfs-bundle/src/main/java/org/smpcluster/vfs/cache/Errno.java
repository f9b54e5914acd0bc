package org.smpcluster.vfs.cache;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;

/**
 * POSIX errors as the server answers them and the client turns them into the {@code java.nio.file}
 * exceptions a Java program expects of the default Linux filesystem.
 */
public enum Errno {
    OK(""),
    ENOENT("No such file or directory"),
    EEXIST("File exists"),
    ENOTDIR("Not a directory"),
    EISDIR("Is a directory"),
    ENOTEMPTY("Directory not empty"),
    ENAMETOOLONG("File name too long"),
    EACCES("Permission denied"),
    EINVAL("Invalid argument"),
    EIO("Input/output error"),
    ENOSPC("No space left on device"),
    EXDEV("Invalid cross-device link"),
    ESTALE("Stale file handle"),
    EBADF("Bad file descriptor"),
    ENFILE("Too many open files in system"),
    EBUSY("Device or resource busy"),
    ELOOP("Too many levels of symbolic links");

    private final String text;

    Errno(String text) {
        this.text = text;
    }

    public String text() {
        return text;
    }

    public static Errno of(int code) {
        Errno[] all = values();
        return code > 0 && code < all.length ? all[code] : EIO;
    }

    /** A failure the server answers with. */
    public static final class Failure extends Exception {
        private final Errno errno;

        public Failure(Errno errno, String detail) {
            super(detail, null, false, false);
            this.errno = errno;
        }

        public Errno errno() {
            return errno;
        }
    }

    public Failure fail(String detail) {
        return new Failure(this, detail);
    }

    /**
     * The exception a program gets: the default provider's class for the common errors (so code
     * written against Linux paths behaves the same), otherwise a {@code FileSystemException}
     * whose reason starts with the error's name.
     */
    public FileSystemException exception(String file, String other, String detail) {
        return switch (this) {
            case ENOENT -> new NoSuchFileException(file, other, null);
            case EEXIST -> new FileAlreadyExistsException(file, other, null);
            case ENOTEMPTY -> new DirectoryNotEmptyException(file);
            case EACCES -> new AccessDeniedException(file, other, detail == null ? null : name() + ": " + detail);
            default -> new FileSystemException(file, other,
                    detail == null || detail.isEmpty() ? name() + ": " + text : name() + ": " + text + " (" + detail + ")");
        };
    }

    public static void putString(ByteBuffer b, String s) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        if (bytes.length > 0xFFFF) {
            throw new IllegalArgumentException("string too long: " + bytes.length + " bytes");
        }
        b.putShort((short) bytes.length).put(bytes);
    }

    public static String getString(ByteBuffer b) {
        int n = Short.toUnsignedInt(b.getShort());
        byte[] bytes = new byte[n];
        b.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
