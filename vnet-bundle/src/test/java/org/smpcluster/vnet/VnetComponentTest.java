package org.smpcluster.vnet;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class VnetComponentTest {

    private final VnetComponent component = new VnetComponent();

    @Test
    void shouldBeNamedAfterItsBundle() {
        assertEquals("org.smpcluster." + component.name(), "org.smpcluster.vnet");
    }

    @Test
    void shouldImplementAnExistingApiPackage() {
        assertDoesNotThrow(() -> Class.forName(component.apiPackage() + ".package-info"));
    }
}
