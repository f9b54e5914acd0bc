package org.smpcluster.api.bootloader;

import java.util.List;

/** A cluster configuration that cannot be booted: every problem, as "FILE:LINE: what to change". */
public class ConfigException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    private final List<String> problems;

    public ConfigException(List<String> problems) {
        super(String.join("\n", problems));
        this.problems = List.copyOf(problems);
    }

    public List<String> problems() {
        return problems;
    }
}
