// expect: not-correct
// indexes past a vector's end: a panic
fn main() {
    let numbers = vec![1];
    let index = std::env::args().count() + 1;
    println!("{}", numbers[index]);
}
