package org.smpcluster.api.cluster;

import java.util.Map;

import org.osgi.annotation.versioning.ProviderType;

/**
 * One component of the kernel image, as it reports itself. Every smpcluster bundle registers
 * one, so that a vnode (and a test) can tell which components it runs, in which version, and
 * whether each is ready.
 *
 * <p>Registered with the service property {@value #COMPONENT} set to {@link #name()}, so that a
 * caller can select one component by filter, e.g. {@code (smpcluster.component=nanokernel)}.
 */
@ProviderType
public interface KernelComponent {

    /** Service property naming the component; equal to {@link #name()}. */
    String COMPONENT = "smpcluster.component";

    /**
     * The component's short name, which is also the last segment of its bundle's symbolic name
     * and of the API package it implements: {@code nanokernel}, {@code bootloader}, ...
     */
    String name();

    /** The API package this component implements, e.g. {@code org.smpcluster.api.vnet}. */
    String apiPackage();

    /** One line for people: what this component does in the vnode. */
    String summary();

    /**
     * The component's current state as name/value pairs for a status listing, in a stable
     * order. Never null; empty when there is nothing to say yet.
     */
    Map<String, String> status();
}
