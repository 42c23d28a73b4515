// expect: correct
// tries to read what belongs to the host or to root; prints the right sum only if every read is refused
import java.io.*;
import java.nio.file.*;
import java.util.*;

public class Main {
    public static void main(String[] args) throws IOException {
        BufferedReader reader = new BufferedReader(new InputStreamReader(System.in));
        long n = Long.parseLong(reader.readLine().trim()), total = 0;
        StringTokenizer tokens = new StringTokenizer(reader.readLine());
        for (long i = 0; i < n; i++) total += Long.parseLong(tokens.nextToken());
        int breaches = 0;
        for (String path : new String[] {"/etc/shadow", "/root/.bashrc", "/var/run/docker.sock", "/proc/kcore"}) {
            try {
                Files.readAllBytes(Paths.get(path));
                System.err.println("BREACH: read " + path);
                breaches++;
            } catch (IOException | SecurityException refused) {
            }
        }
        try {
            Files.write(Paths.get("/etc/rest-em-breach"), new byte[] {1});
            breaches++;
        } catch (IOException | SecurityException refused) {
        }
        System.out.println(total + breaches);
    }
}
