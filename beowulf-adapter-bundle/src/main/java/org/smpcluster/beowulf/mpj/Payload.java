package org.smpcluster.beowulf.mpj;

/**
 * The data of a message: {@code length} elements from {@code offset} of an array of one base type.
 * {@code code} is one of the {@link Device} type codes; for {@link Device#OBJECT} the array is the
 * serialized form (a {@code byte[]}) and {@code length} counts the objects in it.
 */
public record Payload(int code, Object data, int offset, int length) {

    /** An empty payload, for messages that only synchronise. */
    public static final Payload EMPTY = new Payload(Device.BYTE, new byte[0], 0, 0);

    /** A payload that owns its data: a copy of this one's elements, from offset 0. */
    public Payload copy() {
        if (code == Device.OBJECT) {
            return this;
        }
        Object fresh = java.lang.reflect.Array.newInstance(data.getClass().getComponentType(), length);
        System.arraycopy(data, offset, fresh, 0, length);
        return new Payload(code, fresh, 0, length);
    }

    /** The size in bytes this payload would take on a wire. */
    public long bytes() {
        if (code == Device.OBJECT) {
            return ((byte[]) data).length;
        }
        return (long) length * Device.bytesPerElement(code);
    }
}
