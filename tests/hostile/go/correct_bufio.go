// expect: correct
// reads words through bufio, sums in an int64
package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
)

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<20)
	in.Split(bufio.ScanWords)
	in.Scan()
	n, _ := strconv.Atoi(in.Text())
	var total int64
	for i := 0; i < n && in.Scan(); i++ {
		x, _ := strconv.ParseInt(in.Text(), 10, 64)
		total += x
	}
	fmt.Println(total)
}
