package org.smpcluster.mosix.proc;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.classfile.ClassHierarchyResolver;
import java.lang.constant.ClassDesc;
import java.net.MalformedURLException;
import java.net.URL;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.ProviderNotFoundException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.Manifest;

/**
 * One process's class loader. Its parent is the platform class loader, so nothing of the vnode's
 * class path or of OSGi is visible to the program; the process API and the runtime's interfaces
 * ({@code org.smpcluster.api.process}, {@code org.smpcluster.mosix.rt} but for {@code Hooks})
 * come from the bundle's own loader, and {@code Hooks} is defined anew in each process loader
 * from the bundle's bytes (see {@link org.smpcluster.mosix.rt.Hooks}). Every other class is read
 * from the class path through {@link Files} (a directory, or a jar opened as a zip file system,
 * so a {@code Path} of any provider works), rewritten ({@link Rewriter}) and defined here.
 */
final class ProcessLoader extends ClassLoader {

    static {
        registerAsParallelCapable();
    }

    private static final String API_PREFIX = "org.smpcluster.api.process.";
    private static final String RT_PREFIX = "org.smpcluster.mosix.rt.";

    private final ClassLoader runtime;
    private final List<Path> roots = new ArrayList<>();
    private final List<FileSystem> jars = new ArrayList<>();
    private final Rewriter rewriter;
    private final Manifest manifest;

    /**
     * @throws IllegalArgumentException naming the entry that does not exist or is neither a
     *                                  directory nor a jar (nothing stays open then)
     */
    ProcessLoader(List<Path> classPath, ClassLoader runtime) {
        // Unnamed, as the JDK's application loader shows in stack traces: "at Main.main(Main.java:4)".
        super(ClassLoader.getPlatformClassLoader());
        this.runtime = runtime;
        Manifest first = null;
        try {
            for (Path entry : classPath) {
                if (Files.isDirectory(entry)) {
                    roots.add(entry);
                } else if (Files.isRegularFile(entry)) {
                    FileSystem fs = openJar(entry);
                    jars.add(fs);
                    Path root = fs.getRootDirectories().iterator().next();
                    roots.add(root);
                    if (first == null && jars.size() == 1) {
                        first = readManifest(entry, root);
                    }
                } else {
                    throw new IllegalArgumentException("classpath entry=" + entry
                            + " does not exist (allowed: a jar or a directory)");
                }
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        this.manifest = first;
        ClassHierarchyResolver program = ClassHierarchyResolver.ofResourceParsing(this::programClass);
        this.rewriter = new Rewriter(program.orElse(shared(runtime)).cached());
    }

    /**
     * The JDK's classes and the API's, as the rewrite's stack maps need their hierarchy: the same
     * for every process of the bundle, so parsed once (a process's own classes come first, and
     * only from its own class path).
     */
    private static ClassHierarchyResolver shared;

    private static synchronized ClassHierarchyResolver shared(ClassLoader runtime) {
        if (shared == null) {
            shared = ClassHierarchyResolver.ofResourceParsing(ClassLoader.getPlatformClassLoader())
                    .orElse(ClassHierarchyResolver.ofResourceParsing(runtime))
                    .cached(java.util.concurrent.ConcurrentHashMap::new);
        }
        return shared;
    }

    private static FileSystem openJar(Path entry) {
        try {
            return FileSystems.newFileSystem(entry);
        } catch (IOException | ProviderNotFoundException e) {
            throw new IllegalArgumentException("classpath entry=" + entry + " is not a jar (" + e.getMessage()
                    + "; allowed: a jar or a directory)", e);
        }
    }

    private static Manifest readManifest(Path jar, Path root) {
        Path mf = root.resolve("META-INF/MANIFEST.MF");
        if (!Files.isRegularFile(mf)) {
            return null;
        }
        try (InputStream in = Files.newInputStream(mf)) {
            return new Manifest(in);
        } catch (IOException e) {
            throw new IllegalArgumentException("jar=" + jar + " has a manifest that cannot be read: " + e.getMessage(), e);
        }
    }

    /** The first jar's {@code Main-Class}, or null. */
    String manifestMainClass() {
        return manifest == null ? null : manifest.getMainAttributes().getValue(Attributes.Name.MAIN_CLASS);
    }

    @Override
    protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
        synchronized (getClassLoadingLock(name)) {
            Class<?> c = findLoadedClass(name);
            if (c == null) {
                if (name.equals(Rewriter.HOOKS_NAME)) {
                    c = defineHooks();
                } else if (name.startsWith(API_PREFIX) || name.startsWith(RT_PREFIX)) {
                    c = runtime.loadClass(name);
                } else {
                    try {
                        c = getParent().loadClass(name);
                    } catch (ClassNotFoundException e) {
                        c = findClass(name);
                    }
                }
            }
            if (resolve) {
                resolveClass(c);
            }
            return c;
        }
    }

    /** This process's own copy of Hooks, unrewritten: its statics are this process's. */
    private Class<?> defineHooks() throws ClassNotFoundException {
        String res = Rewriter.HOOKS_NAME.replace('.', '/') + ".class";
        try (InputStream in = runtime.getResourceAsStream(res)) {
            if (in == null) {
                throw new ClassNotFoundException(Rewriter.HOOKS_NAME + ": the bundle has no " + res);
            }
            byte[] b = in.readAllBytes();
            return defineClass(Rewriter.HOOKS_NAME, b, 0, b.length);
        } catch (IOException e) {
            throw new ClassNotFoundException(Rewriter.HOOKS_NAME, e);
        }
    }

    @Override
    protected Class<?> findClass(String name) throws ClassNotFoundException {
        byte[] bytes = read(name.replace('.', '/') + ".class");
        if (bytes == null) {
            throw new ClassNotFoundException(name);
        }
        byte[] rewritten = rewrite(rewriter, name, bytes);
        return defineClass(name, rewritten, 0, rewritten.length);
    }

    /**
     * The class as a process defines it, or a {@link ClassFormatError} naming it: what
     * {@code defineClass} would say of a class file it cannot take.
     */
    static byte[] rewrite(Rewriter rewriter, String name, byte[] bytes) {
        try {
            return rewriter.rewrite(bytes);
        } catch (RuntimeException e) {
            // IllegalArgumentException is the class file API's word for a class it cannot parse
            // or whose hierarchy it cannot resolve (a superclass missing from the class path, say);
            // for some malformed input the JDK 25 API throws others instead (RewriteFuzzTest found
            // StringIndexOutOfBoundsException for an empty method descriptor, and
            // NegativeArraySizeException for a Code attribute's bad exception table length): a
            // class file the API cannot take is a bad class file, whatever it throws.
            ClassFormatError err = new ClassFormatError(name + " cannot be rewritten for a process: " + e.getMessage());
            err.initCause(e);
            throw err;
        }
    }

    private byte[] read(String resource) {
        for (Path root : roots) {
            Path p = root.resolve(resource);
            if (Files.isRegularFile(p)) {
                try {
                    return Files.readAllBytes(p);
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot read " + p, e);
                }
            }
        }
        return null;
    }

    /** A program class's bytes, unrewritten, for the class hierarchy the rewrite needs. */
    private InputStream programClass(ClassDesc desc) {
        String d = desc.descriptorString();
        byte[] b = read(d.substring(1, d.length() - 1) + ".class");
        return b == null ? null : new ByteArrayInputStream(b);
    }

    @Override
    protected URL findResource(String name) {
        for (Path root : roots) {
            Path p = root.resolve(name);
            if (Files.exists(p)) {
                try {
                    return p.toUri().toURL();
                } catch (MalformedURLException | IllegalArgumentException e) {
                    // A provider without URL handlers (a vfs: path, say) still serves getResourceAsStream.
                    return null;
                }
            }
        }
        return null;
    }

    @Override
    public InputStream getResourceAsStream(String name) {
        InputStream parent = getParent().getResourceAsStream(name);
        if (parent != null) {
            return parent;
        }
        byte[] b = read(name);
        return b == null ? null : new ByteArrayInputStream(b);
    }

    @Override
    protected Enumeration<URL> findResources(String name) {
        List<URL> urls = new ArrayList<>();
        for (Path root : roots) {
            Path p = root.resolve(name);
            if (Files.exists(p)) {
                try {
                    urls.add(p.toUri().toURL());
                } catch (MalformedURLException | IllegalArgumentException e) {
                    // as in findResource
                }
            }
        }
        return Collections.enumeration(urls);
    }

    /** Closes the jars; called once the process's threads are gone. */
    void close() {
        for (FileSystem fs : jars) {
            try {
                fs.close();
            } catch (IOException e) {
                // A read-only zip file system has nothing to lose on close; say so once.
                System.err.println("mosix: closing " + fs + ": " + e);
            }
        }
        jars.clear();
        roots.clear();
    }
}
