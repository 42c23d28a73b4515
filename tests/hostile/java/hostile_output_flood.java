// expect: not-correct
// prints forever
import java.io.*;

public class Main {
    public static void main(String[] args) throws IOException {
        byte[] line = new byte[1 << 16];
        java.util.Arrays.fill(line, (byte) 'x');
        OutputStream out = new BufferedOutputStream(new FileOutputStream(FileDescriptor.out));
        for (;;) out.write(line);
    }
}
