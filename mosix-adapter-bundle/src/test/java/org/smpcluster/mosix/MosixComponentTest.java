package org.smpcluster.mosix;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class MosixComponentTest {

    private final MosixComponent component = new MosixComponent();

    @Test
    void shouldBeNamedAfterItsBundle() {
        assertEquals("org.smpcluster." + component.name(), "org.smpcluster.mosix");
    }

    @Test
    void shouldImplementAnExistingApiPackage() {
        assertDoesNotThrow(() -> Class.forName(component.apiPackage() + ".package-info"));
    }
}
