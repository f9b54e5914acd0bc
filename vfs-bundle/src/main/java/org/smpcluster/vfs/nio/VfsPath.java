package org.smpcluster.vfs.nio;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.ProviderMismatchException;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/** A path of the cluster filesystem: '/'-separated names, like a Unix path without symbolic links. */
final class VfsPath implements Path {

    private final VfsFileSystem fs;
    private final boolean absolute;
    private final String[] names;

    VfsPath(VfsFileSystem fs, boolean absolute, String[] names) {
        this.fs = fs;
        this.absolute = absolute;
        this.names = names;
    }

    static VfsPath parse(VfsFileSystem fs, String text) {
        if (text.indexOf('\0') >= 0) {
            throw new java.nio.file.InvalidPathException(text, "Nul character not allowed");
        }
        String[] parts = Arrays.stream(text.split("/")).filter(s -> !s.isEmpty()).toArray(String[]::new);
        return new VfsPath(fs, text.startsWith("/"), parts);
    }

    static VfsPath check(Path p) {
        if (p instanceof VfsPath v) {
            return v;
        }
        throw new ProviderMismatchException("not a vfs path: " + p + " (" + (p == null ? null : p.getClass().getName()) + ")");
    }

    String[] names() {
        return names;
    }

    @Override
    public VfsFileSystem getFileSystem() {
        return fs;
    }

    @Override
    public boolean isAbsolute() {
        return absolute;
    }

    @Override
    public Path getRoot() {
        return absolute ? new VfsPath(fs, true, new String[0]) : null;
    }

    @Override
    public Path getFileName() {
        return names.length == 0 ? null : new VfsPath(fs, false, new String[] {names[names.length - 1]});
    }

    @Override
    public Path getParent() {
        if (names.length == 0 || (names.length == 1 && !absolute)) {
            return null;
        }
        return new VfsPath(fs, absolute, Arrays.copyOf(names, names.length - 1));
    }

    @Override
    public int getNameCount() {
        return names.length;
    }

    @Override
    public Path getName(int index) {
        if (index < 0 || index >= names.length) {
            throw new IllegalArgumentException("index=" + index + " names=" + names.length);
        }
        return new VfsPath(fs, false, new String[] {names[index]});
    }

    @Override
    public Path subpath(int begin, int end) {
        if (begin < 0 || end > names.length || begin >= end) {
            throw new IllegalArgumentException("begin=" + begin + " end=" + end + " names=" + names.length);
        }
        return new VfsPath(fs, false, Arrays.copyOfRange(names, begin, end));
    }

    @Override
    public boolean startsWith(Path other) {
        if (!(other instanceof VfsPath o) || o.absolute != absolute || o.names.length > names.length) {
            return false;
        }
        return Arrays.equals(names, 0, o.names.length, o.names, 0, o.names.length);
    }

    @Override
    public boolean endsWith(Path other) {
        if (!(other instanceof VfsPath o) || (o.absolute && !absolute) || o.names.length > names.length) {
            return false;
        }
        if (o.absolute) {
            return equals(o);
        }
        return Arrays.equals(names, names.length - o.names.length, names.length, o.names, 0, o.names.length);
    }

    @Override
    public Path normalize() {
        List<String> out = new ArrayList<>();
        for (String n : names) {
            if (n.equals(".")) {
                continue;
            }
            if (n.equals("..")) {
                if (!out.isEmpty() && !out.get(out.size() - 1).equals("..")) {
                    out.remove(out.size() - 1);
                    continue;
                }
                if (absolute) {
                    continue; // "/.." is "/"
                }
            }
            out.add(n);
        }
        return new VfsPath(fs, absolute, out.toArray(String[]::new));
    }

    @Override
    public Path resolve(Path other) {
        VfsPath o = check(other);
        if (o.absolute) {
            return o;
        }
        if (o.names.length == 0) {
            return this;
        }
        String[] all = Arrays.copyOf(names, names.length + o.names.length);
        System.arraycopy(o.names, 0, all, names.length, o.names.length);
        return new VfsPath(fs, absolute, all);
    }

    @Override
    public Path relativize(Path other) {
        VfsPath o = check(other);
        if (o.absolute != absolute) {
            throw new IllegalArgumentException("'" + other + "' is not " + (absolute ? "absolute" : "relative") + " like '" + this + "'");
        }
        int common = 0;
        while (common < names.length && common < o.names.length && names[common].equals(o.names[common])) {
            common++;
        }
        List<String> out = new ArrayList<>();
        for (int i = common; i < names.length; i++) {
            out.add("..");
        }
        out.addAll(Arrays.asList(o.names).subList(common, o.names.length));
        return new VfsPath(fs, false, out.toArray(String[]::new));
    }

    @Override
    public URI toUri() {
        try {
            return new URI(org.smpcluster.api.vfs.Vfs.SCHEME, null, toAbsolutePath().toString(), null);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public Path toAbsolutePath() {
        return absolute ? this : new VfsPath(fs, true, names);
    }

    @Override
    public Path toRealPath(LinkOption... options) throws java.io.IOException {
        Path p = toAbsolutePath().normalize();
        if (!fs.provider().exists(VfsPath.check(p))) {
            throw new NoSuchFileException(toString());
        }
        return p;
    }

    @Override
    public WatchKey register(WatchService watcher, WatchEvent.Kind<?>[] events, WatchEvent.Modifier... modifiers) {
        throw new UnsupportedOperationException("the cluster filesystem has no watch service");
    }

    @Override
    public int compareTo(Path other) {
        return toString().compareTo(check(other).toString());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof VfsPath p && p.fs == fs && p.absolute == absolute && Arrays.equals(p.names, names);
    }

    @Override
    public int hashCode() {
        return Objects.hash(absolute, Arrays.hashCode(names));
    }

    @Override
    public String toString() {
        String s = String.join("/", names);
        return absolute ? "/" + s : s;
    }
}
