// expect: not-correct
// prints forever
package main

import (
	"bytes"
	"os"
)

func main() {
	line := bytes.Repeat([]byte("x"), 1<<16)
	for {
		os.Stdout.Write(line)
	}
}
