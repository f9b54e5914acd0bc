package org.smpcluster.api.bootloader;

/**
 * What the bootloader does when a vnode fails: restart it always, never, or up to
 * {@code limit} times.
 */
public record RestartPolicy(Kind kind, int limit) {

    public enum Kind {
        ALWAYS, NEVER, LIMITED
    }

    public static final RestartPolicy ALWAYS = new RestartPolicy(Kind.ALWAYS, 0);
    public static final RestartPolicy NEVER = new RestartPolicy(Kind.NEVER, 0);

    public RestartPolicy {
        if (kind == Kind.LIMITED && limit < 1) {
            throw new IllegalArgumentException("a restart limit must be at least 1, got " + limit);
        }
    }

    /** "always", "never", or a number of restarts. */
    public static RestartPolicy parse(String text) {
        return switch (text.strip().toLowerCase(java.util.Locale.ROOT)) {
            case "always" -> ALWAYS;
            case "never" -> NEVER;
            default -> {
                try {
                    yield new RestartPolicy(Kind.LIMITED, Integer.parseInt(text.strip()));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("restart policy '" + text
                            + "' is not 'always', 'never' or a number of restarts", e);
                }
            }
        };
    }

    /** Whether a vnode that has been restarted {@code restarts} times may be restarted again. */
    public boolean allows(int restarts) {
        return switch (kind) {
            case ALWAYS -> true;
            case NEVER -> false;
            case LIMITED -> restarts < limit;
        };
    }

    @Override
    public String toString() {
        return kind == Kind.LIMITED ? "up to " + limit : kind.name().toLowerCase(java.util.Locale.ROOT);
    }
}
