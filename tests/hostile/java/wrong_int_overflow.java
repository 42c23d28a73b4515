// expect: wrong
// sums in an int: the large test overflows
import java.io.*;
import java.util.*;

public class Main {
    public static void main(String[] args) throws IOException {
        BufferedReader reader = new BufferedReader(new InputStreamReader(System.in));
        int n = Integer.parseInt(reader.readLine().trim());
        StringTokenizer tokens = new StringTokenizer(reader.readLine());
        int total = 0;
        for (int i = 0; i < n; i++) total += Integer.parseInt(tokens.nextToken());
        System.out.println(total);
    }
}
