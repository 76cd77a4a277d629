// Command pipeline is both ends of a shell pipeline of two Go programs, for
// whole-job tests (`pipeline produce -out A | pipeline consume -out B`).
//
// produce writes "tick N" to stdout every -period and the count to its
// -out file; consume reads lines from stdin, passes each to main.consume
// and writes how many it has read to its -out file. Either end counts only
// while it runs, so a test sees a stopped job as two counters that do not
// move. consume exits when its input ends; produce exits on EPIPE.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

var sink int

// produce is called once per line written: a breakpoint in the first
// process of the pipeline.
//
//go:noinline
func produce(n int) string {
	sink = n
	return "tick " + strconv.Itoa(n)
}

// consume is called once per line read: a breakpoint in the second.
//
//go:noinline
func consume(n int, line string) int {
	sink = n + len(line)
	return sink
}

func main() {
	if len(os.Args) < 2 || (os.Args[1] != "produce" && os.Args[1] != "consume") {
		fmt.Fprintln(os.Stderr, "usage: pipeline produce|consume -out FILE [-period D]")
		os.Exit(2)
	}
	mode := os.Args[1]
	fs := flag.NewFlagSet(mode, flag.ExitOnError)
	out := fs.String("out", "", "counter file")
	period := fs.Duration("period", 10*time.Millisecond, "pause between lines (produce)")
	fs.Parse(os.Args[2:])
	if *out == "" {
		fmt.Fprintln(os.Stderr, "pipeline: -out is required")
		os.Exit(2)
	}
	if mode == "produce" {
		w := bufio.NewWriter(os.Stdout)
		for n := 1; ; n++ {
			if _, err := fmt.Fprintln(w, produce(n)); err != nil {
				os.Exit(0)
			}
			if err := w.Flush(); err != nil {
				os.Exit(0) // the consumer is gone
			}
			writeCounter(*out, n)
			time.Sleep(*period)
		}
	}
	sc := bufio.NewScanner(os.Stdin)
	n := 0
	for sc.Scan() {
		n++
		consume(n, sc.Text())
		writeCounter(*out, n)
	}
}

func writeCounter(path string, n int) {
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	if err := os.WriteFile(tmp, []byte(strconv.Itoa(n)), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "pipeline:", err)
		os.Exit(2)
	}
	if err := os.Rename(tmp, path); err != nil {
		fmt.Fprintln(os.Stderr, "pipeline:", err)
		os.Exit(2)
	}
}
