// expect: not-correct
// holds on to ever more memory, then prints an answer
fn main() {
    let mut hoard: Vec<Vec<u8>> = Vec::new();
    loop {
        hoard.push(vec![1u8; 64 << 20]);
        if hoard.len() > 1 << 20 {
            break;
        }
    }
    println!("{}", hoard.len());
}
