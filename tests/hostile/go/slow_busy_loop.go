// expect: timeout
// never finishes
package main

var spin uint64

func main() {
	for {
		spin++
	}
}
