// Command hwprobe writes a global in a loop on its main thread, for the
// probe that tells whether this machine delivers hardware watchpoint
// traps (testprog.HardwareWatchpoints). It prints the global's address,
// then writes it for at most ten seconds.
package main

import (
	"fmt"
	"os"
	"runtime"
	"time"
	"unsafe"
)

// The main goroutine runs on the main thread, the one the probe seizes.
func init() { runtime.LockOSThread() }

var sink uint64

func main() {
	fmt.Printf("%d\n", uintptr(unsafe.Pointer(&sink)))
	os.Stdout.Sync()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		sink++
	}
}
