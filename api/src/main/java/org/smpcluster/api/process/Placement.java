package org.smpcluster.api.process;

import java.util.Locale;

/**
 * Where a process starts ({@code mosrun}'s placement): on a named vnode, at home (the vnode that
 * spawns it), or on the best vnode now (the one with the lowest load in the process tables).
 * Wherever it runs, its home keeps its deputy: its stdio, its parent's {@code wait} and its
 * signals are served there.
 *
 * @param vnode a vnode id ({@code 0..}), or {@link #HOME_VNODE} or {@link #BEST_VNODE}
 */
public record Placement(int vnode) {

    public static final int HOME_VNODE = -1;
    public static final int BEST_VNODE = -2;

    public static final Placement HOME = new Placement(HOME_VNODE);
    public static final Placement BEST = new Placement(BEST_VNODE);

    public Placement {
        if (vnode < BEST_VNODE) {
            throw new IllegalArgumentException("vnode=" + vnode + " is not a vnode id (0..), home or best");
        }
    }

    /** On vnode {@code vnode}. */
    public static Placement on(int vnode) {
        if (vnode < 0) {
            throw new IllegalArgumentException("vnode=" + vnode + " is not a vnode id (0..)");
        }
        return new Placement(vnode);
    }

    /**
     * What a person writes: a vnode id, {@code home} or {@code best}.
     *
     * @throws IllegalArgumentException naming the input and what is allowed
     */
    public static Placement parse(String s) {
        String v = s.strip().toLowerCase(Locale.ROOT);
        if (v.equals("home")) {
            return HOME;
        }
        if (v.equals("best")) {
            return BEST;
        }
        try {
            return on(Integer.parseInt(v));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("vnode=" + s + " is not a vnode id (0..), home or best", e);
        }
    }

    @Override
    public String toString() {
        return vnode == HOME_VNODE ? "home" : vnode == BEST_VNODE ? "best" : "vnode " + vnode;
    }
}
