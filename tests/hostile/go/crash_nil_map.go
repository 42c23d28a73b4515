// expect: not-correct
// writes to a nil map: a panic
package main

func main() {
	var counts map[string]int
	counts["x"]++
}
