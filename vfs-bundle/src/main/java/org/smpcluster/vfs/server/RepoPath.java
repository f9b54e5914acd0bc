package org.smpcluster.vfs.server;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

import org.smpcluster.vfs.cache.Errno;
import org.smpcluster.vfs.cache.Errno.Failure;

/**
 * A request's path, as the server takes it from a client's slot: a 16-bit length and that many
 * bytes of UTF-8, naming {@code export/dir/name} relative to the repository. This is all the
 * server trusts of a client's path before {@link Beneath} resolves it: anything else is refused
 * with a {@link Failure} (and nothing else is thrown).
 */
public final class RepoPath {

    private RepoPath() {
    }

    /**
     * Reads one path from {@code in} (at its position) and checks it.
     *
     * @throws Failure EINVAL for a truncated field or bytes that are not UTF-8, and what
     *         {@link #check} refuses
     */
    public static String read(ByteBuffer in) throws Failure {
        int n;
        try {
            n = Short.toUnsignedInt(in.getShort());
        } catch (BufferUnderflowException e) {
            throw Errno.EINVAL.fail("a path's length is missing from the request");
        }
        if (n > in.remaining()) {
            throw Errno.EINVAL.fail("a path of " + n + " bytes, with " + in.remaining() + " left in the request");
        }
        if (n > VfsServer.PATH_MAX) {
            in.position(in.position() + n);
            throw Errno.ENAMETOOLONG.fail("path longer than " + VfsServer.PATH_MAX + " bytes");
        }
        ByteBuffer bytes = in.slice(in.position(), n);
        in.position(in.position() + n);
        String path;
        try {
            // strict: a name the host's filesystem would store differently from what the client sent is refused
            CharBuffer c = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(bytes);
            path = c.toString();
        } catch (CharacterCodingException e) {
            throw Errno.EINVAL.fail("a path that is not UTF-8");
        }
        return check(path);
    }

    /**
     * A request's path, relative to the repository: {@code export/dir/name}. Refuses {@code ..}
     * and {@code .} components, empty names (so no leading, trailing or doubled {@code /}), NUL,
     * and names or paths that are too long.
     */
    public static String check(String path) throws Failure {
        if (path.isEmpty()) {
            throw Errno.ENOENT.fail("empty path");
        }
        if (path.getBytes(StandardCharsets.UTF_8).length > VfsServer.PATH_MAX) {
            throw Errno.ENAMETOOLONG.fail("path longer than " + VfsServer.PATH_MAX + " bytes");
        }
        if (path.indexOf('\0') >= 0) {
            throw Errno.EINVAL.fail("NUL in a name");
        }
        for (String part : path.split("/", -1)) {
            if (part.isEmpty() || part.equals(".")) {
                throw Errno.EINVAL.fail("'" + path + "' is not a normalized path");
            }
            if (part.equals("..")) {
                throw Errno.EACCES.fail("'..' would leave the filesystem");
            }
            if (part.getBytes(StandardCharsets.UTF_8).length > VfsServer.NAME_MAX) {
                throw Errno.ENAMETOOLONG.fail("a name longer than " + VfsServer.NAME_MAX + " bytes");
            }
        }
        return path;
    }
}
