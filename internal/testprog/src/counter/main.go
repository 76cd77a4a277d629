// Command counter is a multi-threaded debuggee that increments a counter
// every period and publishes it to a file.
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

var sink int

//go:noinline
func helper(x int) int {
	y := x + 1
	return y * 3
}

//go:noinline
func tick(n int, label string) int {
	doubled := n * 2
	msg := fmt.Sprintf("%s-%d", label, n)
	h := helper(doubled)
	if h < 0 {
		return h
	}
	return len(msg) + doubled
}

func writeCounter(path string, n int) {
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	if err := os.WriteFile(tmp, []byte(strconv.Itoa(n)), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "counter:", err)
		os.Exit(2)
	}
	if err := os.Rename(tmp, path); err != nil {
		fmt.Fprintln(os.Stderr, "counter:", err)
		os.Exit(2)
	}
}

func worker() {
	runtime.LockOSThread()
	x := 0
	for {
		for i := 0; i < 10000; i++ {
			x += i
		}
		sink = x
		time.Sleep(time.Millisecond)
	}
}

func main() {
	out := flag.String("out", "", "counter file")
	workers := flag.Int("workers", 4, "worker goroutines")
	iterations := flag.Int("iterations", 0, "exit after this many ticks (0 = forever)")
	period := flag.Duration("period", time.Millisecond, "tick period")
	spinFlag := flag.Bool("spin", false, "also run a loop without calls or system calls")
	ballastMiB := flag.Int("ballast", 0, "MiB of memory to hold, written (for core dump sizes)")
	hotThreads := flag.Int("hot", 0, "threads calling main.hot without pause")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "counter: -out is required")
		os.Exit(2)
	}
	for i := 0; i < *workers; i++ {
		go worker()
	}
	if *spinFlag {
		go spin()
	}
	for i := 0; i < *hotThreads; i++ {
		go hotLoop()
	}
	fillBallast(*ballastMiB)
	n := 0
	for {
		time.Sleep(*period)
		n++
		sink = tick(n, "tick")
		writeCounter(*out, n)
		if *iterations > 0 && n >= *iterations {
			os.Exit(0)
		}
	}
}

// Tests name lines of the functions above main: add new ones below.

// spins counts the iterations of spin's loop.
var spins uint64

// spin runs a loop that makes no call and no system call.
func spin() {
	for {
		spins++
		if spins == 0 {
			sink++ // keeps spins read, so its stores stay
		}
	}
}

// ballast is memory held for the life of the program (-ballast).
var ballast []byte

// fillBallast allocates mib MiB and writes every page, so that it is
// resident and a core of the program holds it.
func fillBallast(mib int) {
	ballast = make([]byte, mib<<20)
	for i := range ballast {
		ballast[i] = byte(i>>12) | 1
	}
}

// hotCalls counts main.hot's calls.
var hotCalls uint64

// hot is called without pause by -hot threads: a breakpoint there is hit
// by several threads at once, some between a debugger's stop request and
// their stop.
//
//go:noinline
func hot(i int) int {
	hotCalls++
	return i + 1
}

// hotLoop calls hot for ever on a thread of its own.
func hotLoop() {
	runtime.LockOSThread()
	for i := 0; ; i++ {
		sink = hot(i)
	}
}
