// Command threads is a debuggee with many OS threads (one locked goroutine
// each) and, with -churn, threads that keep starting and exiting.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"time"
)

func writeCounter(path string, n int) {
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	if err := os.WriteFile(tmp, []byte(strconv.Itoa(n)), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "threads:", err)
		os.Exit(2)
	}
	if err := os.Rename(tmp, path); err != nil {
		fmt.Fprintln(os.Stderr, "threads:", err)
		os.Exit(2)
	}
}

func sleeper() {
	runtime.LockOSThread()
	for {
		time.Sleep(2 * time.Millisecond)
	}
}

// shortLived locks its OS thread and returns without unlocking, so the
// runtime terminates the thread when the goroutine exits.
func shortLived() {
	runtime.LockOSThread()
	time.Sleep(time.Millisecond)
}

// fleeting locks its OS thread and returns at once: the thread exits
// within microseconds of its creation, often before the debugger has taken
// the PTRACE_EVENT_CLONE report of the thread that created it.
func fleeting() { runtime.LockOSThread() }

func churn(every time.Duration, body func()) {
	for {
		go body()
		time.Sleep(every)
	}
}

func main() {
	out := flag.String("out", "", "counter file")
	threads := flag.Int("threads", 50, "locked goroutines (OS threads)")
	churnFlag := flag.Bool("churn", false, "keep starting and exiting threads")
	fast := flag.Bool("fast", false, "with -churn: threads exit at once, one started every 100µs")
	flag.Parse()
	if *out == "" {
		os.Exit(2)
	}
	for i := 0; i < *threads; i++ {
		go sleeper()
	}
	switch {
	case *churnFlag && *fast:
		go churn(100*time.Microsecond, fleeting)
	case *churnFlag:
		go churn(5*time.Millisecond, shortLived)
	}
	n := 0
	for {
		time.Sleep(time.Millisecond)
		n++
		writeCounter(*out, n)
	}
}
