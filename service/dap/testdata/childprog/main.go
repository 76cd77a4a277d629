// Command childprog is the child the follow-exec tests have spawner run
// (spawner -exec childprog ARGS): a Go program of its own, so its function
// onlyInChild and its source file exist in no process until a child execs
// it. It prints "childprog result R" and exits with status 3, as
// spawner's own children do, so a status of 3 proves it ran to the end.
// With the arguments "hold FILE" it first waits for FILE to exist, so a
// test can stop and continue it.
package main

import (
	"fmt"
	"os"
	"time"
)

var sink int

//go:noinline
func onlyInChild(n int) int {
	r := n*7 + 1 // childprog: breakpoint
	sink = r
	return r
}

func main() {
	if len(os.Args) == 3 && os.Args[1] == "hold" {
		for {
			if _, err := os.Stat(os.Args[2]); err == nil {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	fmt.Printf("childprog result %d\n", onlyInChild(len(os.Args)))
	os.Exit(3)
}
