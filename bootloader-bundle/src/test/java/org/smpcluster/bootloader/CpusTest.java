package org.smpcluster.bootloader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.smpcluster.api.bootloader.RestartPolicy;

class CpusTest {

    @Test
    void shouldReadLinuxCpuLists() {
        assertEquals(List.of(0, 1, 2, 4), Cpus.parse("0-2,4"));
        assertEquals(List.of(1), Cpus.parse("1\n".strip()));
        assertThrows(IllegalArgumentException.class, () -> Cpus.parse("3-1"));
    }

    @Test
    void shouldRefuseHugeRangesAtOnce() {
        // kmb:boot 1 0-2147483647 64m looped forever on an int that overflowed.
        for (String list : List.of("0-2147483647", "0-99999999", "2147483648", "1,", "a-b", "0-1-2")) {
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(
                    java.time.Duration.ofSeconds(1), () -> assertThrows(IllegalArgumentException.class,
                            () -> Cpus.parse(list)));
            assertTrue(e.getMessage().startsWith("CPU "), e.getMessage());
        }
        assertEquals(List.of(0, 1), Cpus.parse("1,0,1"));
    }

    @Test
    void shouldSeeThisMachinesOnlineCpus() {
        assertTrue(Cpus.online().contains(0));
    }

    @Test
    void shouldRestartAsThePolicySays() {
        assertTrue(RestartPolicy.ALWAYS.allows(1_000));
        assertFalse(RestartPolicy.NEVER.allows(0));
        RestartPolicy twice = RestartPolicy.parse("2");
        assertTrue(twice.allows(1));
        assertFalse(twice.allows(2));
        assertEquals("up to 2", twice.toString());
        assertThrows(IllegalArgumentException.class, () -> RestartPolicy.parse("0"));
        assertThrows(IllegalArgumentException.class, () -> RestartPolicy.parse("often"));
    }
}
