// expect: wrong
// sums in a wrapping i32: the large test overflows
use std::io::Read;

fn main() {
    let mut text = String::new();
    std::io::stdin().read_to_string(&mut text).unwrap();
    let mut words = text.split_ascii_whitespace();
    let n: usize = words.next().unwrap().parse().unwrap();
    let total = words.take(n).fold(0i32, |sum, word| sum.wrapping_add(word.parse::<i32>().unwrap()));
    println!("{}", total);
}
