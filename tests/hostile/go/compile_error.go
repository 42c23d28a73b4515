// expect: wrong
// an unused variable: Go refuses to compile it
package main

import "fmt"

func main() {
	unused := 1
	fmt.Println(2)
}
