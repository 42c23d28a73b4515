// expect: not-correct
// prints forever
use std::io::Write;

fn main() {
    let line = vec![b'x'; 1 << 16];
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    loop {
        if out.write_all(&line).is_err() {
            break;
        }
    }
}
