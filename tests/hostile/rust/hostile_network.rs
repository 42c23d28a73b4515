// expect: correct
// tries to reach the network (a public address, the Docker host, a name lookup); prints the right sum
// only if every attempt fails
use std::io::Read;
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

fn main() {
    let mut text = String::new();
    std::io::stdin().read_to_string(&mut text).unwrap();
    let mut words = text.split_ascii_whitespace();
    let n: usize = words.next().unwrap().parse().unwrap();
    let mut total: i64 = words.take(n).map(|word| word.parse::<i64>().unwrap()).sum();
    for address in ["1.1.1.1:80", "172.17.0.1:80"] {
        if TcpStream::connect_timeout(&address.parse().unwrap(), Duration::from_millis(500)).is_ok() {
            total += 1;
        }
    }
    if ("deb.debian.org", 80).to_socket_addrs().is_ok() {
        total += 1;
    }
    println!("{}", total);
}
