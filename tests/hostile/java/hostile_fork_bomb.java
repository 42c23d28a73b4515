// expect: not-correct
// starts processes and threads without end
public class Main {
    public static void main(String[] args) throws Exception {
        for (;;) {
            try {
                new ProcessBuilder("sh", "-c", "sleep 100").start();
            } catch (Exception ignored) {
            }
            Thread thread = new Thread(() -> {
                try { Thread.sleep(100_000); } catch (InterruptedException ignored) { }
            });
            thread.start();
        }
    }
}
