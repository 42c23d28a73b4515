// expect: timeout
// never finishes: spins on a volatile write
fn main() {
    let mut spin: u64 = 0;
    loop {
        spin = spin.wrapping_add(1);
        unsafe { std::ptr::write_volatile(&mut spin, spin) };
    }
}
