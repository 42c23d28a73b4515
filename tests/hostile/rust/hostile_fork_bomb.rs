// expect: not-correct
// starts copies of itself without end, and threads
use std::process::Command;

fn main() {
    let me = std::env::current_exe().unwrap();
    loop {
        let _ = Command::new(&me).spawn();
        let _ = std::thread::Builder::new().spawn(|| std::thread::sleep(std::time::Duration::from_secs(3600)));
    }
}
