package org.smpcluster.bootloader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BootloaderComponentTest {

    @TempDir
    Path tmp;

    @Test
    void shouldDigestTheImageWithSha256() throws Exception {
        Path image = Files.writeString(tmp.resolve("image.jar"), "abc");

        // FIPS 180-2, appendix B.1
        assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
                BootloaderComponent.sha256(image));
    }

    @Test
    void shouldFailWithThePathOfAnUnreadableImage() {
        assertThrows(UncheckedIOException.class, () -> BootloaderComponent.sha256(tmp.resolve("gone.jar")));
    }

    @Test
    void shouldNotMistakeATestClassPathForABootImage() {
        // Surefire runs this test from a class path of directories and jars, not from one image.
        assertNull(BootloaderComponent.bootImage());
        assertEquals("-", new BootloaderComponent().status().get("image-sha256"));
    }
}
