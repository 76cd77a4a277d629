// Command tstp is a debuggee that handles SIGTSTP itself (logging it) and
// therefore never stops on it.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
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
		fmt.Fprintln(os.Stderr, "tstp:", err)
		os.Exit(2)
	}
	if err := os.Rename(tmp, path); err != nil {
		fmt.Fprintln(os.Stderr, "tstp:", err)
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
	logPath := flag.String("log", "", "signal log file")
	workers := flag.Int("workers", 4, "worker goroutines")
	iterations := flag.Int("iterations", 0, "exit after this many ticks (0 = forever)")
	period := flag.Duration("period", time.Millisecond, "tick period")
	flag.Parse()
	if *out == "" || *logPath == "" {
		fmt.Fprintln(os.Stderr, "tstp: -out and -log are required")
		os.Exit(2)
	}
	logf, err := os.OpenFile(*logPath, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|os.O_APPEND, 0o644)
	if err != nil {
		fmt.Fprintln(os.Stderr, "tstp:", err)
		os.Exit(2)
	}
	ch := make(chan os.Signal, 16)
	signal.Notify(ch, syscall.SIGTSTP)
	go func() {
		for range ch {
			logf.Write([]byte("got SIGTSTP\n"))
		}
	}()
	for i := 0; i < *workers; i++ {
		go worker()
	}
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
