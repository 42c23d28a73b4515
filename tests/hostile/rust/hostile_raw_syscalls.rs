// expect: correct
// raw system calls through inline assembly, past any library: ptrace of pid 1 and of the parent, mount,
// unshare, a raw socket; prints the right sum only if every one is refused (a negative return)
use std::arch::asm;
use std::io::Read;

unsafe fn syscall3(number: i64, a: i64, b: i64, c: i64) -> i64 {
    let result: i64;
    asm!("syscall", inlateout("rax") number => result, in("rdi") a, in("rsi") b, in("rdx") c,
         lateout("rcx") _, lateout("r11") _, options(nostack));
    result
}

fn main() {
    let mut text = String::new();
    std::io::stdin().read_to_string(&mut text).unwrap();
    let mut words = text.split_ascii_whitespace();
    let n: usize = words.next().unwrap().parse().unwrap();
    let mut total: i64 = words.take(n).map(|word| word.parse::<i64>().unwrap()).sum();
    let kind = b"tmpfs\0";
    let target = b"/work\0";
    let parent = std::os::unix::process::parent_id() as i64;
    let attempts: [(&str, i64, i64, i64, i64); 5] = [
        ("ptrace attach pid 1", 101, 16, 1, 0),
        ("ptrace attach parent", 101, 16, parent, 0),
        ("mount", 165, kind.as_ptr() as i64, target.as_ptr() as i64, kind.as_ptr() as i64),
        ("unshare user+mount", 272, 0x1000_0000 | 0x0002_0000, 0, 0),
        ("raw socket", 41, 2, 3, 1),
    ];
    for (what, number, a, b, c) in attempts {
        if unsafe { syscall3(number, a, b, c) } >= 0 {
            eprintln!("BREACH: {}", what);
            total += 1;
        }
    }
    println!("{}", total);
}
