package org.smpcluster.beowulf;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class BeowulfComponentTest {

    private final BeowulfComponent component = new BeowulfComponent();

    @Test
    void shouldBeNamedAfterItsBundle() {
        assertEquals("org.smpcluster." + component.name(), "org.smpcluster.beowulf");
    }

    @Test
    void shouldImplementAnExistingApiPackage() {
        assertDoesNotThrow(() -> Class.forName(component.apiPackage() + ".package-info"));
    }
}
