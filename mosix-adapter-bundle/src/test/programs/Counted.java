// Loops that end by themselves: no poll in them.
public class Counted {
    static long sum(int[] a) {
        long s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i];
        }
        return s;
    }

    static long down(int n) {
        long s = 0;
        for (int i = n; i >= 0; i--) {
            s += i;
        }
        return s;
    }

    static long nested(int n) {
        long s = 0;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < 100; j++) {
                s += i * j;
            }
        }
        return s;
    }

    static int leaf(int x) {
        return x * 2 + 1;
    }

    public static void main(String[] args) {
        System.out.println(sum(new int[] {1, 2, 3}) + down(3) + nested(2) + leaf(1));
    }
}
