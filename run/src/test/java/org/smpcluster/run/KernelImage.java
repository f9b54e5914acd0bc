package org.smpcluster.run;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The kernel image the build exported ({@code target/smpcluster.jar}): where it is, and the
 * bundles the resolver put into it, in their start order. Tests boot exactly these.
 */
final class KernelImage {

    /** One bundle of the image, extracted to a file, with the start level the image gives it. */
    record ImageBundle(Path file, int startLevel) {
    }

    private static final Pattern START_LEVEL = Pattern.compile("startlevel=(\\d+)");

    private KernelImage() {
    }

    static Path jar() {
        String configured = System.getProperty("smpcluster.image");
        Path jar = configured != null ? Path.of(configured) : Path.of("target", "smpcluster.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("no kernel image at " + jar.toAbsolutePath()
                    + ": run the package phase first (./mvnw verify does)");
        }
        return jar.toAbsolutePath();
    }

    /** The framework start level the image boots to; every bundle's level is below it. */
    static int beginningStartLevel() {
        try (JarFile image = new JarFile(jar().toFile())) {
            return Integer.parseInt(launchProperties(image)
                    .getProperty("org.osgi.framework.startlevel.beginning", "1").strip());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the kernel image " + jar(), e);
        }
    }

    /**
     * Extracts the image's run bundles (not the framework, not the launcher) into {@code into}
     * and returns them in the image's order, with their start levels.
     */
    static List<ImageBundle> extractRunBundles(Path into) {
        try (JarFile image = new JarFile(jar().toFile())) {
            Properties launch = launchProperties(image);
            // launch.bundles lists the embedded files; launch.runbundles.attrs, in the same order,
            // what the resolver said of each: "org.smpcluster.api;version=...;startlevel=110".
            List<String> files = split(launch.getProperty("launch.bundles"));
            List<String> attrs = split(launch.getProperty("launch.runbundles.attrs"));
            if (files.isEmpty() || files.size() != attrs.size()) {
                throw new IllegalStateException("launcher.properties of " + jar() + " lists " + files.size()
                        + " bundles and attributes for " + attrs.size());
            }
            Files.createDirectories(into);
            List<ImageBundle> bundles = new ArrayList<>();
            for (int i = 0; i < files.size(); i++) {
                String path = files.get(i);
                Path target = into.resolve(Path.of(path).getFileName().toString());
                try (InputStream in = image.getInputStream(image.getEntry(path))) {
                    Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
                }
                Matcher level = START_LEVEL.matcher(attrs.get(i));
                bundles.add(new ImageBundle(target, level.find() ? Integer.parseInt(level.group(1)) : 1));
            }
            return bundles;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the kernel image " + jar(), e);
        }
    }

    private static Properties launchProperties(JarFile image) throws IOException {
        Properties launch = new Properties();
        try (InputStream in = image.getInputStream(image.getEntry("launcher.properties"))) {
            launch.load(in);
        }
        return launch;
    }

    private static List<String> split(String list) {
        if (list == null || list.isBlank()) {
            return List.of();
        }
        return Arrays.stream(list.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList();
    }
}
