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

func churn() {
	for {
		go shortLived()
		time.Sleep(5 * time.Millisecond)
	}
}

func main() {
	out := flag.String("out", "", "counter file")
	threads := flag.Int("threads", 50, "locked goroutines (OS threads)")
	churnFlag := flag.Bool("churn", false, "keep starting and exiting threads")
	flag.Parse()
	if *out == "" {
		os.Exit(2)
	}
	for i := 0; i < *threads; i++ {
		go sleeper()
	}
	if *churnFlag {
		go churn()
	}
	n := 0
	for {
		time.Sleep(time.Millisecond)
		n++
		writeCounter(*out, n)
	}
}
