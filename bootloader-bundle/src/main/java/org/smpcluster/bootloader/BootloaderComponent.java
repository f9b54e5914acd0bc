package org.smpcluster.bootloader;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.smpcluster.api.cluster.KernelComponent;

/**
 * The kernel-mode bootloader as a component of the image. For now it reports the image this
 * vnode booted from and its digest: every vnode of a cluster must show the same one.
 */
@Component(configurationPolicy = ConfigurationPolicy.IGNORE, property = {
        KernelComponent.COMPONENT + "=bootloader",
        "osgi.command.scope=kmb",
        "osgi.command.function=status"})
public final class BootloaderComponent implements KernelComponent {

    @Override
    public String name() {
        return "bootloader";
    }

    @Override
    public String apiPackage() {
        return "org.smpcluster.api.bootloader";
    }

    @Override
    public String summary() {
        return "boots, stops and restarts vnodes from this one (the paper's KMB)";
    }

    @Override
    @Descriptor("show the kernel image this vnode booted from and its SHA-256 digest")
    public Map<String, String> status() {
        Map<String, String> status = new LinkedHashMap<>();
        Path image = bootImage();
        status.put("image", image == null ? "none (not booted from an image jar)" : image.toString());
        status.put("image-sha256", image == null ? "-" : sha256(image));
        return status;
    }

    /** The executable image jar this JVM was started with, or null under a test container. */
    static Path bootImage() {
        String classPath = System.getProperty("java.class.path", "");
        if (classPath.isEmpty() || classPath.contains(java.io.File.pathSeparator) || !classPath.endsWith(".jar")) {
            return null;
        }
        Path jar = Path.of(classPath).toAbsolutePath();
        return Files.isRegularFile(jar) ? jar : null;
    }

    static String sha256(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[64 * 1024];
            for (int n; (n = in.read(buffer)) > 0; ) {
                digest.update(buffer, 0, n);
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the image " + file, e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
