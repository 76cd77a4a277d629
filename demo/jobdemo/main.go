// Command jobdemo is the job-control demo that ships with dlv-listen: it
// counts, one line a second, calling work(n) for each. Run it under
// dlv-listen, set `break main.work`, continue, and stop it with Ctrl-Z or
// `kill -TSTP`: the debugger says so and it stays stopped until SIGCONT.
package main

import (
	"fmt"
	"os"
	"time"
)

//go:noinline
func work(n int) string {
	greeting := fmt.Sprintf("tick %d from pid %d", n, os.Getpid())
	return greeting
}

func main() {
	for n := 1; ; n++ {
		fmt.Println(work(n))
		time.Sleep(time.Second)
	}
}
