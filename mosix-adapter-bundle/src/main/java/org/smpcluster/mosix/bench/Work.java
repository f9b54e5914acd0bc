package org.smpcluster.mosix.bench;

import java.util.HashMap;
import java.util.Map;

/**
 * The CPU-bound programs {@link RewriteBench} runs both ways: a sort, a matrix multiply and a
 * hash-map workload, written as ordinary program code (the sort is the program's own, not
 * {@code Arrays.sort}, whose JDK code no process rewrites). {@code main(workload, reps)} prints
 * {@code NAME WALL_NANOS CPU_NANOS CHECK}; the check must be the same both ways.
 */
public final class Work {

    private Work() {
    }

    public static void main(String[] args) {
        long[] r = run(args[0], Integer.parseInt(args[1]));
        System.out.println(args[0] + " " + r[0] + " " + r[1] + " " + r[2]);
    }

    /** {wall nanos, CPU nanos of this thread, check}. */
    public static long[] run(String workload, int reps) {
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        long c0 = mx.getCurrentThreadCpuTime();
        long t0 = System.nanoTime();
        long check = 0;
        for (int k = 0; k < reps; k++) {
            check += switch (workload) {
                case "sort" -> sort(400_000, k);
                case "matmul" -> matmul(200, k);
                case "hashmap" -> hashmap(200_000, k);
                default -> throw new IllegalArgumentException("workload=" + workload + " is not sort, matmul or hashmap");
            };
        }
        return new long[] {System.nanoTime() - t0, mx.getCurrentThreadCpuTime() - c0, check};
    }

    private static long sort(int n, int seed) {
        int[] a = new int[n];
        long x = 0x9E3779B97F4A7C15L * (seed + 1);
        for (int i = 0; i < n; i++) {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            a[i] = (int) x;
        }
        quicksort(a, 0, n - 1);
        long h = 0;
        for (int i = 0; i < n; i += 97) {
            h = h * 31 + a[i];
        }
        return h;
    }

    private static void quicksort(int[] a, int lo, int hi) {
        while (lo < hi) {
            if (hi - lo < 16) {
                for (int i = lo + 1; i <= hi; i++) {
                    int v = a[i];
                    int j = i - 1;
                    while (j >= lo && a[j] > v) {
                        a[j + 1] = a[j];
                        j--;
                    }
                    a[j + 1] = v;
                }
                return;
            }
            int p = a[(lo + hi) >>> 1];
            int i = lo;
            int j = hi;
            while (i <= j) {
                while (a[i] < p) {
                    i++;
                }
                while (a[j] > p) {
                    j--;
                }
                if (i <= j) {
                    int t = a[i];
                    a[i] = a[j];
                    a[j] = t;
                    i++;
                    j--;
                }
            }
            if (j - lo < hi - i) {
                quicksort(a, lo, j);
                lo = i;
            } else {
                quicksort(a, i, hi);
                hi = j;
            }
        }
    }

    private static long matmul(int n, int seed) {
        double[][] a = new double[n][n];
        double[][] b = new double[n][n];
        double[][] c = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                a[i][j] = (i * 31 + j + seed) % 17;
                b[i][j] = (j * 7 + i) % 13;
            }
        }
        for (int i = 0; i < n; i++) {
            double[] ci = c[i];
            for (int k = 0; k < n; k++) {
                double aik = a[i][k];
                double[] bk = b[k];
                for (int j = 0; j < n; j++) {
                    ci[j] += aik * bk[j];
                }
            }
        }
        double s = 0;
        for (int i = 0; i < n; i++) {
            s += c[i][(i * 3) % n];
        }
        return (long) s;
    }

    private static long hashmap(int n, int seed) {
        Map<Integer, Integer> m = new HashMap<>();
        for (int i = 0; i < n; i++) {
            m.merge((i * 7919 + seed) % (n / 2), 1, Integer::sum);
        }
        long s = 0;
        for (int i = 0; i < n; i++) {
            Integer v = m.get(i);
            if (v != null) {
                s += v * (long) i;
            }
        }
        return s + m.size();
    }
}
