package org.smpcluster.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;
import org.osgi.framework.Bundle;
import org.osgi.framework.dto.BundleDTO;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;
import org.osgi.service.component.runtime.dto.UnsatisfiedReferenceDTO;

class ReadinessTest {

    @Test
    void shouldAcceptSatisfiedAndActiveComponents() {
        assertNull(Readiness.problem(description(), configuration(ComponentConfigurationDTO.SATISFIED)));
        assertNull(Readiness.problem(description(), configuration(ComponentConfigurationDTO.ACTIVE)));
    }

    @Test
    void shouldNameTheMissingReferences() {
        ComponentConfigurationDTO c = configuration(ComponentConfigurationDTO.UNSATISFIED_REFERENCE);
        UnsatisfiedReferenceDTO ref = new UnsatisfiedReferenceDTO();
        ref.name = "nanokernel";
        ref.target = "(vnode=0)";
        c.unsatisfiedReferences = new UnsatisfiedReferenceDTO[] {ref};

        assertEquals("component org.smpcluster.vnet.Nic (org.smpcluster.vnet) is missing nanokernel ((vnode=0))",
                Readiness.problem(description(), c));
    }

    @Test
    void shouldReportAFailedActivationWithItsCause() {
        ComponentConfigurationDTO c = configuration(ComponentConfigurationDTO.FAILED_ACTIVATION);
        c.failure = "java.io.IOException: no physmem";

        assertEquals("component org.smpcluster.vnet.Nic (org.smpcluster.vnet) failed to activate: "
                + "java.io.IOException: no physmem", Readiness.problem(description(), c));
    }

    @Test
    void shouldNameBundleStatesForPeople() {
        assertEquals("RESOLVED (not started)", Readiness.stateName(Bundle.RESOLVED));
        assertEquals("INSTALLED (not resolved)", Readiness.stateName(Bundle.INSTALLED));
    }

    private static ComponentDescriptionDTO description() {
        ComponentDescriptionDTO d = new ComponentDescriptionDTO();
        d.name = "org.smpcluster.vnet.Nic";
        d.bundle = new BundleDTO();
        d.bundle.symbolicName = "org.smpcluster.vnet";
        return d;
    }

    private static ComponentConfigurationDTO configuration(int state) {
        ComponentConfigurationDTO c = new ComponentConfigurationDTO();
        c.state = state;
        return c;
    }
}
