// expect: not-correct
// forks itself without end through os/exec, and spawns goroutines that lock OS threads
package main

import (
	"os"
	"os/exec"
	"runtime"
	"time"
)

func main() {
	for {
		go func() {
			runtime.LockOSThread()
			time.Sleep(time.Hour)
		}()
		cmd := exec.Command(os.Args[0])
		_ = cmd.Start()
	}
}
