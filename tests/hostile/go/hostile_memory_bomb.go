// expect: not-correct
// holds on to ever more memory, then prints an answer
package main

import "fmt"

func main() {
	var hoard [][]byte
	for {
		block := make([]byte, 64<<20)
		for i := range block {
			block[i] = 1
		}
		hoard = append(hoard, block)
		if len(hoard) > 1<<20 {
			break
		}
	}
	fmt.Println(len(hoard))
}
