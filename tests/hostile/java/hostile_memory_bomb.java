// expect: not-correct
// holds on to ever more memory, then prints an answer
import java.util.*;

public class Main {
    public static void main(String[] args) {
        List<long[]> hoard = new ArrayList<>();
        for (;;) {
            long[] block = new long[8 << 20];
            Arrays.fill(block, 1);
            hoard.add(block);
        }
    }
}
