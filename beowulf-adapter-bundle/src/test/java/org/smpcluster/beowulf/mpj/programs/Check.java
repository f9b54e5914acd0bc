package org.smpcluster.beowulf.mpj.programs;

import java.util.Arrays;

/** Assertions inside a rank (JUnit is not on a rank's class path); they throw AssertionError. */
final class Check {

    private Check() {
    }

    static void that(boolean condition, String what) {
        if (!condition) {
            throw new AssertionError(what);
        }
    }

    static void equal(Object expected, Object actual, String what) {
        boolean same = expected instanceof int[] a && actual instanceof int[] b ? Arrays.equals(a, b)
                : expected instanceof double[] c && actual instanceof double[] d ? Arrays.equals(c, d)
                : expected.equals(actual);
        if (!same) {
            throw new AssertionError(what + ": expected " + str(expected) + " but was " + str(actual));
        }
    }

    private static String str(Object o) {
        return o instanceof int[] a ? Arrays.toString(a) : o instanceof double[] d ? Arrays.toString(d) : String.valueOf(o);
    }
}
