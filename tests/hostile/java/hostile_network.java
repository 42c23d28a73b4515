// expect: correct
// tries to reach the network (a public address, the Docker host, a name lookup); prints the right sum
// only if every attempt fails
import java.io.*;
import java.net.*;
import java.util.*;

public class Main {
    public static void main(String[] args) throws IOException {
        BufferedReader reader = new BufferedReader(new InputStreamReader(System.in));
        long n = Long.parseLong(reader.readLine().trim()), total = 0;
        StringTokenizer tokens = new StringTokenizer(reader.readLine());
        for (long i = 0; i < n; i++) total += Long.parseLong(tokens.nextToken());
        int breaches = 0;
        for (String host : new String[] {"1.1.1.1", "172.17.0.1"}) {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(host, 80), 500);
                breaches++;
            } catch (IOException refused) {
            }
        }
        try {
            InetAddress.getByName("deb.debian.org");
            breaches++;
        } catch (IOException refused) {
        }
        System.out.println(total + breaches);
    }
}
