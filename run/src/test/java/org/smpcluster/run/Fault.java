package org.smpcluster.run;

/**
 * The fault-injection suite's JUnit 4 category ({@link FaultIT}; the JUnit Platform sees it as the
 * tag {@code org.smpcluster.run.Fault}, and {@link FaultRootIT}, a Jupiter test, carries the tag
 * {@code fault-injection} the bundles' fault tests carry). They run in {@code ./mvnw verify} with
 * everything else; alone with
 * {@code ./mvnw verify -pl run -am -Dit.test='Fault*IT' -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false}.
 */
public interface Fault {
}
