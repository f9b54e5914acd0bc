package org.smpcluster.vfs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.smpcluster.api.nanokernel.Device;
import org.smpcluster.api.nanokernel.DeviceInfo;
import org.smpcluster.api.nanokernel.Nanokernel;

/**
 * The driver of storage devices ({@code device.class=storage}, backing a host directory). Only
 * the vnode that owns the device has it plugged, so only that vnode can read and write it
 * through this driver; the others have no such device. On plug it records the owner in the
 * directory's {@value #OWNER} file. A directory it makes is 0700, a file 0600, and no file is
 * opened through a link. Commands (scope {@code storage}): {@code ls}, {@code cat}, {@code write}.
 */
@Component(configurationPolicy = ConfigurationPolicy.IGNORE, immediate = true, service = StorageDriver.class, property = {
        "osgi.command.scope=storage",
        "osgi.command.function=ls",
        "osgi.command.function=cat",
        "osgi.command.function=write"})
public final class StorageDriver {

    /** Written into the directory by the vnode that plugs it. */
    public static final String OWNER = ".smpcluster-owner";

    private static final System.Logger LOG = System.getLogger(StorageDriver.class.getName());

    private final Nanokernel nanokernel;
    private final Map<String, Path> volumes = new ConcurrentHashMap<>();

    @Activate
    public StorageDriver(@Reference Nanokernel nanokernel) {
        this.nanokernel = nanokernel;
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            target = "(" + Device.CLASS + "=storage)")
    void plug(Device device) {
        DeviceInfo d = device.info();
        Path dir = Path.of(d.backing());
        try {
            if (!Files.isDirectory(dir)) {
                // made here: this user's alone, like every directory the cluster makes
                Path parent = dir.toAbsolutePath().getParent();
                if (parent != null) {
                    Files.createDirectories(parent);
                }
                Files.createDirectory(dir, OWNER_ONLY_DIR);
            }
            writeFile(dir.resolve(OWNER), "vnode " + nanokernel.vnodeId() + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException("vnode " + nanokernel.vnodeId() + " cannot use storage " + dir, e);
        }
        volumes.put(d.address(), dir);
        LOG.log(Level.INFO, "vnode " + nanokernel.vnodeId() + " mounted storage " + d.address() + " at " + dir);
    }

    void unplug(Device device) {
        volumes.remove(device.info().address());
    }

    @Descriptor("list the files of this vnode's storage devices")
    public String ls() throws IOException {
        StringBuilder out = new StringBuilder();
        for (Map.Entry<String, Path> v : volume()) {
            out.append(v.getKey()).append(" ").append(v.getValue()).append(":\n");
            try (Stream<Path> files = Files.list(v.getValue())) {
                for (Path f : files.sorted().toList()) {
                    long size = Files.readAttributes(f, java.nio.file.attribute.BasicFileAttributes.class,
                            LinkOption.NOFOLLOW_LINKS).size(); // a link's own, not what it points to
                    out.append(String.format("  %10d %s%n", size, f.getFileName()));
                }
            }
        }
        return out.toString();
    }

    @Descriptor("print a file of this vnode's storage device")
    public String cat(@Descriptor("file name") String name) throws IOException {
        Path f = file(name);
        // NOFOLLOW_LINKS: a link put in the device's directory does not lead out of it
        try (var ch = Files.newByteChannel(f, Set.of(StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS))) {
            long size = ch.size();
            if (size > MAX_CAT) {
                throw new IllegalArgumentException("'" + name + "' has " + size + " bytes; storage:cat prints files of up to "
                        + MAX_CAT + " (copy larger ones with vfs:cp)");
            }
            return new String(java.nio.channels.Channels.newInputStream(ch).readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Descriptor("write a line to a file of this vnode's storage device")
    public String write(@Descriptor("file name") String name, @Descriptor("text") String text) throws IOException {
        Path f = file(name);
        writeFile(f, text + "\n");
        return "wrote " + f;
    }

    /** The most {@code storage:cat} prints: the command's answer is one String on a vnode's small heap. */
    static final long MAX_CAT = 1 << 20;

    private static final FileAttribute<Set<PosixFilePermission>> OWNER_ONLY_DIR =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));
    private static final FileAttribute<Set<PosixFilePermission>> OWNER_ONLY_FILE =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));

    /** Replaces {@code f}'s contents (made 0600 when new), never through a link. */
    private static void writeFile(Path f, String text) throws IOException {
        try (var ch = Files.newByteChannel(f, Set.of(StandardOpenOption.WRITE, StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING, LinkOption.NOFOLLOW_LINKS), OWNER_ONLY_FILE)) {
            ch.write(java.nio.ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)));
        }
    }

    private List<Map.Entry<String, Path>> volume() {
        if (volumes.isEmpty()) {
            throw new IllegalStateException("vnode " + nanokernel.vnodeId() + " owns no storage device");
        }
        return List.copyOf(volumes.entrySet());
    }

    /** A plain file name in the first storage device; no paths out of it. */
    private Path file(String name) {
        if (name.isEmpty() || name.contains("/") || name.equals(".") || name.equals("..")) {
            throw new IllegalArgumentException("'" + name + "' is not a plain file name");
        }
        return volume().get(0).getValue().resolve(name);
    }
}
