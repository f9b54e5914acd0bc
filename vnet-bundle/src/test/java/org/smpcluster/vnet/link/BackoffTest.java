package org.smpcluster.vnet.link;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

/** The truncated binary exponential backoff's distribution. */
class BackoffTest {

    @Test
    void shouldDrawUniformlyFromZeroToTwoToTheNMinusOneTruncatedAtTen() {
        Backoff backoff = new Backoff(new SplittableRandom(42));
        for (int n = 1; n <= 15; n++) {
            int range = 1 << Math.min(n, 10);
            int draws = range * 400;
            long[] seen = new long[range];
            for (int i = 0; i < draws; i++) {
                int r = backoff.slots(n);
                assertTrue(r >= 0 && r < range, "collision " + n + ": r=" + r + " outside [0, " + (range - 1) + "]");
                seen[r]++;
            }
            // Pearson's chi-square against the uniform distribution; the bound is far out in
            // the tail for range - 1 degrees of freedom (mean k, sd sqrt(2k)).
            double expected = (double) draws / range;
            double chi2 = 0;
            for (long count : seen) {
                chi2 += (count - expected) * (count - expected) / expected;
            }
            int k = range - 1;
            assertTrue(chi2 < k + 6 * Math.sqrt(2.0 * k) + 10, "collision " + n + ": chi-square " + chi2 + " for " + k
                    + " degrees of freedom");
            assertEquals(range - 1, max(seen), "collision " + n + ": the top of the range is drawn");
        }
    }

    @Test
    void shouldGiveUpAtTheSixteenthCollision() {
        assertFalse(Backoff.excessive(15));
        assertTrue(Backoff.excessive(16));
        assertThrows(IllegalArgumentException.class, () -> new Backoff(new SplittableRandom()).slots(0));
    }

    private static int max(long[] seen) {
        for (int i = seen.length - 1; i >= 0; i--) {
            if (seen[i] > 0) {
                return i;
            }
        }
        return -1;
    }
}
