// expect: correct
// tries to read what belongs to the host or to root; prints the right sum only if every read is refused
package main

import (
	"bufio"
	"fmt"
	"os"
)

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
	breaches := int64(0)
	for _, path := range []string{"/etc/shadow", "/root/.bashrc", "/var/run/docker.sock", "/proc/kcore"} {
		if _, err := os.ReadFile(path); err == nil {
			fmt.Fprintln(os.Stderr, "BREACH: read", path)
			breaches++
		}
	}
	if err := os.WriteFile("/etc/rest-em-breach", []byte("x"), 0o644); err == nil {
		breaches++
	}
	fmt.Println(total + breaches)
}
