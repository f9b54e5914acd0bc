package org.smpcluster.nanokernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.reflect.Proxy;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.osgi.framework.BundleContext;

/** The framework properties that configure a vnode's nanokernel. */
class NanokernelServiceTest {

    @Test
    void shouldReadTheVnodesConfiguration() {
        Kernel.Config c = NanokernelService.config(context(Map.of(NanokernelService.VNODE, "3",
                NanokernelService.CLUSTER, "demo", NanokernelService.TIMER_HZ, "100")));
        assertEquals(3, c.vnode());
        assertEquals("demo", c.cluster());
        assertEquals(100, c.timerHz());
    }

    @Test
    void shouldRefuseBadNumbersNamingThePropertyAndWhatIsAllowed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> NanokernelService.config(context(Map.of(NanokernelService.VNODE, "abc"))));
        assertEquals("smpcluster.vnode=abc is not a whole number in 0..15", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> NanokernelService.config(context(Map.of(NanokernelService.VNODE, "99"))));
        assertEquals("smpcluster.vnode=99 is not a whole number in 0..15", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> NanokernelService.config(context(Map.of(NanokernelService.TIMER_HZ, "-5"))));
        assertEquals("smpcluster.timer.hz=-5 is not a whole number in 0..1000000", e.getMessage());
    }

    /** A bundle context that answers only getProperty, from {@code properties}. */
    private static BundleContext context(Map<String, String> properties) {
        return (BundleContext) Proxy.newProxyInstance(BundleContext.class.getClassLoader(),
                new Class<?>[] {BundleContext.class}, (proxy, method, args) -> {
                    if (method.getName().equals("getProperty")) {
                        return properties.get((String) args[0]);
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
    }
}
