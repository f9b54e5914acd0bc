package org.smpcluster.run;

/**
 * The fault-injection suite's category (JUnit 4 {@code @Category}, which the JUnit Platform sees as
 * the tag {@code org.smpcluster.run.Fault}): {@link FaultIT} and {@link FaultRootIT}. They run in
 * {@code ./mvnw verify} with everything else; alone with
 * {@code ./mvnw verify -pl run -am -Dit.test='Fault*IT' -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false}.
 */
public interface Fault {
}
