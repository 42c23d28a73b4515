// expect: correct
// tries to reach the network (a public address, the Docker host, a name lookup); prints the right sum
// only if every attempt fails
package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"time"
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
	for _, address := range []string{"1.1.1.1:80", "172.17.0.1:80"} {
		if conn, err := net.DialTimeout("tcp", address, 500*time.Millisecond); err == nil {
			conn.Close()
			breaches++
		}
	}
	if _, err := net.LookupHost("deb.debian.org"); err == nil {
		breaches++
	}
	fmt.Println(total + breaches)
}
