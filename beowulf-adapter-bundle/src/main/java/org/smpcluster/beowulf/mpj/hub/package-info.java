/**
 * The meeting point of in-JVM ranks: loaded once per JVM and shared by every rank's class loader
 * ({@link org.smpcluster.beowulf.mpj.hub.RankLoader}), so its types speak only JDK types and its own.
 */
package org.smpcluster.beowulf.mpj.hub;
