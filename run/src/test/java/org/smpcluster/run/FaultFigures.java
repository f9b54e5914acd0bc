package org.smpcluster.run;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What the fault-injection suite measured: per scenario and figure, the milliseconds of each
 * repetition, printed as one table (median, max, bar) when the class ends.
 */
final class FaultFigures {

    private record Key(String scenario, String figure) {
    }

    private final Map<Key, List<Double>> samples = new LinkedHashMap<>();
    private final Map<Key, Double> bars = new LinkedHashMap<>();

    /** Records one repetition's {@code millis} of {@code figure}, whose bar is {@code barMillis}. */
    synchronized void add(String scenario, String figure, double millis, double barMillis) {
        Key key = new Key(scenario, figure);
        samples.computeIfAbsent(key, k -> new ArrayList<>()).add(millis);
        bars.put(key, barMillis);
    }

    synchronized String table() {
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT, "%-34s %-22s %4s %9s %9s %9s%n",
                "SCENARIO", "FIGURE", "N", "MEDIAN", "MAX", "BAR"));
        samples.forEach((key, values) -> {
            List<Double> sorted = values.stream().sorted().toList();
            double median = sorted.size() % 2 == 1 ? sorted.get(sorted.size() / 2)
                    : (sorted.get(sorted.size() / 2 - 1) + sorted.get(sorted.size() / 2)) / 2;
            out.append(String.format(Locale.ROOT, "%-34s %-22s %4d %7.1f ms %6.1f ms %6.0f ms%n", key.scenario(),
                    key.figure(), sorted.size(), median, sorted.getLast(), bars.get(key)));
        });
        return out.toString();
    }
}
