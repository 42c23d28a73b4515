// expect: correct
// raw system calls past the standard library: ptrace of pid 1 and of its parent, mount, unshare, a raw
// socket, reboot; prints the right sum only if every one is refused
package main

import (
	"bufio"
	"fmt"
	"os"
	"syscall"
	"unsafe"
)

func refused(what string, trap uintptr, a1, a2, a3 uintptr) int64 {
	_, _, errno := syscall.RawSyscall(trap, a1, a2, a3)
	if errno == 0 {
		fmt.Fprintln(os.Stderr, "BREACH:", what)
		return 1
	}
	return 0
}

func main() {
	in := bufio.NewReader(os.Stdin)
	var n int
	fmt.Fscan(in, &n)
	var total int64
	for i := 0; i < n; i++ {
		var x int64
		fmt.Fscan(in, &x)
		total += x
	}
	target := []byte("/work\x00")
	kind := []byte("tmpfs\x00")
	breaches := refused("ptrace attach pid 1", syscall.SYS_PTRACE, syscall.PTRACE_ATTACH, 1, 0)
	breaches += refused("ptrace attach parent", syscall.SYS_PTRACE, syscall.PTRACE_ATTACH, uintptr(os.Getppid()), 0)
	_, _, errno := syscall.RawSyscall6(syscall.SYS_MOUNT, uintptr(unsafe.Pointer(&kind[0])),
		uintptr(unsafe.Pointer(&target[0])), uintptr(unsafe.Pointer(&kind[0])), 0, 0, 0)
	if errno == 0 {
		breaches++
	}
	breaches += refused("unshare user+mount", syscall.SYS_UNSHARE, syscall.CLONE_NEWUSER|syscall.CLONE_NEWNS, 0, 0)
	breaches += refused("raw socket", syscall.SYS_SOCKET, syscall.AF_INET, syscall.SOCK_RAW, syscall.IPPROTO_ICMP)
	breaches += refused("reboot", syscall.SYS_REBOOT, 0xfee1dead, 672274793, 0x4321fedc)
	fmt.Println(total + breaches)
}
