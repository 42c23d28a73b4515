// expect: timeout
// never finishes
public class Main {
    static volatile long spin;
    public static void main(String[] args) {
        for (;;) spin++;
    }
}
