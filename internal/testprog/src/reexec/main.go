// Command reexec is a debuggee that replaces its own program: on SIGUSR1
// it execve(2)s its own executable again, with -gen one higher, from
// whichever thread runs the goroutine that took the signal (another
// goroutine keeps a second thread busy, so the exec'ing thread is not the
// only one: the kernel ends the others, de_thread). Each program prints
// "gen G pid P" when it starts, calls main.round once per round, and
// writes the rounds it has done in the -out counter file.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

var (
	gen  = flag.Int("gen", 1, "which program this is: 1, then one more per exec")
	sink int
)

// round is called once per round: a place for a breakpoint, where the
// local generation says which program hit it.
//
//go:noinline
func round(n int) int {
	generation := *gen
	sink = n + generation
	return n
}

func main() {
	out := flag.String("out", "", "counter file")
	period := flag.Duration("period", time.Millisecond, "pause between rounds")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "reexec: -out is required")
		os.Exit(2)
	}
	fmt.Printf("gen %d pid %d\n", *gen, os.Getpid())
	usr1 := make(chan os.Signal, 1)
	signal.Notify(usr1, syscall.SIGUSR1)
	go func() {
		for {
			sink++
			time.Sleep(100 * time.Microsecond)
		}
	}()
	go func() {
		<-usr1
		self, err := os.Executable()
		if err == nil {
			err = syscall.Exec(self, []string{self, "-out", *out, "-period", period.String(), "-gen", strconv.Itoa(*gen + 1)}, os.Environ())
		}
		fmt.Fprintln(os.Stderr, "reexec: exec:", err)
		os.Exit(2)
	}()
	for n := 1; ; n++ {
		round(n)
		writeCounter(*out, n)
		time.Sleep(*period)
	}
}

// writeCounter replaces the counter file atomically.
func writeCounter(path string, n int) {
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	if err := os.WriteFile(tmp, []byte(strconv.Itoa(n)), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "reexec:", err)
		os.Exit(2)
	}
	if err := os.Rename(tmp, path); err != nil {
		fmt.Fprintln(os.Stderr, "reexec:", err)
		os.Exit(2)
	}
}
