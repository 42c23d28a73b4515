// expect: correct
// reads with a StreamTokenizer, sums in a long
import java.io.*;

public class Main {
    public static void main(String[] args) throws IOException {
        StreamTokenizer in = new StreamTokenizer(new BufferedInputStream(System.in));
        in.resetSyntax();
        in.wordChars('-', '-');
        in.wordChars('0', '9');
        in.whitespaceChars(0, ' ');
        in.nextToken();
        long n = Long.parseLong(in.sval), total = 0;
        for (long i = 0; i < n; i++) {
            in.nextToken();
            total += Long.parseLong(in.sval);
        }
        System.out.println(total);
    }
}
