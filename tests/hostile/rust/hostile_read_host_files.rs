// expect: correct
// tries to read what belongs to the host or to root; prints the right sum only if every read is refused
use std::io::Read;

fn main() {
    let mut text = String::new();
    std::io::stdin().read_to_string(&mut text).unwrap();
    let mut words = text.split_ascii_whitespace();
    let n: usize = words.next().unwrap().parse().unwrap();
    let mut total: i64 = words.take(n).map(|word| word.parse::<i64>().unwrap()).sum();
    for path in ["/etc/shadow", "/root/.bashrc", "/var/run/docker.sock", "/proc/kcore"] {
        if std::fs::read(path).is_ok() {
            eprintln!("BREACH: read {}", path);
            total += 1;
        }
    }
    if std::fs::write("/etc/rest-em-breach", b"x").is_ok() {
        total += 1;
    }
    println!("{}", total);
}
