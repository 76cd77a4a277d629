// Command traceloop calls one function in a loop, for the benchmark of
// traced calls per second: it times the loop itself and prints the rate,
// so that the tracer's start (loading debug information, setting
// tracepoints) and end are not in the figure.
package main

import (
	"flag"
	"fmt"
	"time"
)

var sink int

//go:noinline
func traced(i int) int {
	return i*2 + 1
}

// step is a function value: the call in viaValue has a destination known
// only at run time (what trace --follow-calls follows when it happens).
var step = double

//go:noinline
func double(i int) int {
	return 2 * i
}

//go:noinline
func viaValue(i int) int {
	return step(i) + 1
}

func main() {
	n := flag.Int("n", 1000, "calls of main.traced")
	via := flag.Bool("via", false, "call main.viaValue instead")
	flag.Parse()
	start := time.Now()
	for i := 0; i < *n; i++ {
		if *via {
			sink += viaValue(i)
		} else {
			sink += traced(i)
		}
	}
	elapsed := time.Since(start)
	fmt.Printf("traceloop: %d calls in %v: %.1f calls/s\n", *n, elapsed, float64(*n)/elapsed.Seconds())
}
