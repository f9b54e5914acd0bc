package org.smpcluster.api.vnet;

import java.io.IOException;

/** A frame collided 16 times (IEEE 802.3's attempt limit) and was given up. */
public class ExcessiveCollisionsException extends IOException {

    private static final long serialVersionUID = 1L;

    public ExcessiveCollisionsException(String message) {
        super(message);
    }
}
