package org.smpcluster.console;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleEvent;
import org.osgi.framework.BundleListener;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.FrameworkListener;
import org.osgi.framework.ServiceEvent;
import org.osgi.framework.ServiceListener;
import org.osgi.framework.startlevel.FrameworkStartLevel;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;

/**
 * Decides whether the image is up: the framework at its beginning start level, every bundle
 * active, every enabled component of every bundle satisfied. {@link #await} waits for that on
 * framework events, with a deadline, and otherwise names what is missing.
 */
final class Readiness {

    /** A component can become satisfied without any event of its own: look again this often. */
    private static final long RECHECK_MILLIS = 20;

    private final BundleContext context;
    private final ServiceComponentRuntime scr;

    Readiness(BundleContext context, ServiceComponentRuntime scr) {
        this.context = context;
        this.scr = scr;
    }

    /** Waits until {@link #problems()} is empty or the timeout passes; returns what is left. */
    List<String> await(Duration timeout) throws InterruptedException {
        Object changed = new Object();
        EventWaker waker = new EventWaker(changed);
        context.addBundleListener(waker);
        context.addServiceListener(waker);
        context.addFrameworkListener(waker);
        try {
            long deadline = System.nanoTime() + timeout.toNanos();
            List<String> problems = problems();
            while (!problems.isEmpty()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return problems;
                }
                synchronized (changed) {
                    changed.wait(Math.max(1, Math.min(RECHECK_MILLIS, left / 1_000_000)));
                }
                problems = problems();
            }
            return problems;
        } finally {
            context.removeFrameworkListener(waker);
            context.removeServiceListener(waker);
            context.removeBundleListener(waker);
        }
    }

    /** What keeps the image from being up, one line each; empty when it is up. */
    List<String> problems() {
        List<String> problems = new ArrayList<>();
        Bundle system = context.getBundle(Constants.SYSTEM_BUNDLE_LOCATION);
        int beginning = parseInt(context.getProperty(Constants.FRAMEWORK_BEGINNING_STARTLEVEL), 1);
        int level = system.adapt(FrameworkStartLevel.class).getStartLevel();
        if (level < beginning) {
            problems.add("framework at start level " + level + ", starting to " + beginning);
        }
        for (Bundle bundle : context.getBundles()) {
            boolean fragment = bundle.getHeaders("").get(Constants.FRAGMENT_HOST) != null;
            if (!fragment && bundle.getState() != Bundle.ACTIVE) {
                problems.add("bundle " + bundle.getSymbolicName() + " " + bundle.getVersion()
                        + " is " + stateName(bundle.getState()));
            }
        }
        for (ComponentDescriptionDTO description : scr.getComponentDescriptionDTOs()) {
            if (!description.defaultEnabled && !scr.isComponentEnabled(description)) {
                continue; // disabled on purpose
            }
            for (ComponentConfigurationDTO configuration : scr.getComponentConfigurationDTOs(description)) {
                String problem = problem(description, configuration);
                if (problem != null) {
                    problems.add(problem);
                }
            }
        }
        return problems;
    }

    static String problem(ComponentDescriptionDTO description, ComponentConfigurationDTO configuration) {
        String who = "component " + description.name + " (" + description.bundle.symbolicName + ")";
        return switch (configuration.state) {
            case ComponentConfigurationDTO.SATISFIED, ComponentConfigurationDTO.ACTIVE -> null;
            case ComponentConfigurationDTO.UNSATISFIED_REFERENCE -> who + " is missing "
                    + Arrays.stream(configuration.unsatisfiedReferences)
                            .map(ref -> ref.name + " (" + ref.target + ")")
                            .collect(Collectors.joining(", "));
            case ComponentConfigurationDTO.UNSATISFIED_CONFIGURATION -> who + " is waiting for its configuration";
            case ComponentConfigurationDTO.FAILED_ACTIVATION -> who + " failed to activate: " + configuration.failure;
            default -> who + " is in state " + configuration.state;
        };
    }

    static String stateName(int state) {
        return switch (state) {
            case Bundle.INSTALLED -> "INSTALLED (not resolved)";
            case Bundle.RESOLVED -> "RESOLVED (not started)";
            case Bundle.STARTING -> "STARTING";
            case Bundle.STOPPING -> "STOPPING";
            case Bundle.UNINSTALLED -> "UNINSTALLED";
            default -> "in state " + state;
        };
    }

    private static int parseInt(String value, int otherwise) {
        return value == null ? otherwise : Integer.parseInt(value.strip());
    }

    /** Wakes {@link #await} on any bundle, service or framework event. */
    private record EventWaker(Object changed) implements BundleListener, ServiceListener, FrameworkListener {
        @Override
        public void bundleChanged(BundleEvent event) {
            wake();
        }

        @Override
        public void serviceChanged(ServiceEvent event) {
            wake();
        }

        @Override
        public void frameworkEvent(FrameworkEvent event) {
            wake();
        }

        private void wake() {
            synchronized (changed) {
                changed.notifyAll();
            }
        }
    }
}
