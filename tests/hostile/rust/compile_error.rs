// expect: wrong
// a borrowed value moved: the borrow checker refuses it
fn main() {
    let words = vec![String::from("a")];
    let first = &words[0];
    drop(words);
    println!("{}", first);
}
