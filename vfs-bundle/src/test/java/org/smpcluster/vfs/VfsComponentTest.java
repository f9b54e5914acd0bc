package org.smpcluster.vfs;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class VfsComponentTest {

    private final VfsComponent component = new VfsComponent();

    @Test
    void shouldBeNamedAfterItsBundle() {
        assertEquals("org.smpcluster." + component.name(), "org.smpcluster.vfs");
    }

    @Test
    void shouldImplementAnExistingApiPackage() {
        assertDoesNotThrow(() -> Class.forName(component.apiPackage() + ".package-info"));
    }
}
