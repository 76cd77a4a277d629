// Command dapprog is the debuggee of the DAP tests: a loop whose function
// work holds one local of each kind an editor shows (struct, slice, map,
// pointer, interface) and calls inner, so one breakpoint serves variables,
// evaluate, setVariable, next, stepIn, stepOut and conditional
// breakpoints. It prints "dapprog: started" on stdout (for output events)
// and, with -out, publishes its iteration count to a file.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

type point struct {
	X, Y int
	Name string
}

type shape interface{ Area() int }

type rect struct{ W, H int }

func (r rect) Area() int { return r.W * r.H }

var sink int

// block is a megabyte of known bytes (byte(i)) for readMemory: a slice,
// since dlv gives memory references to slices and strings only.
var block []byte

//go:noinline
func inner(p *point, k int) int { // inner: entry
	s := p.X + k
	return s * 2
}

//go:noinline
func work(i int) int {
	pt := point{X: i, Y: 2 * i, Name: "pt"}
	sl := []int{1, 2, 3, i}
	mp := map[string]int{"one": 1, "i": i}
	ptr := &pt
	var sh shape = rect{W: 3, H: i}
	r := inner(ptr, len(sl)) // work: call inner
	r += mp["i"] + sh.Area() // work: after inner
	return r
}

func writeCounter(path string, n int) {
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	if err := os.WriteFile(tmp, []byte(strconv.Itoa(n)), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "dapprog:", err)
		os.Exit(2)
	}
	if err := os.Rename(tmp, path); err != nil {
		fmt.Fprintln(os.Stderr, "dapprog:", err)
		os.Exit(2)
	}
}

func main() {
	out := flag.String("out", "", "counter file (optional)")
	iterations := flag.Int("iterations", 0, "exit after this many iterations (0 = forever)")
	period := flag.Duration("period", time.Millisecond, "pause between iterations")
	dieWithParent := flag.Bool("die-with-parent", false, "get SIGKILL when the thread that started us exits (PR_SET_PDEATHSIG): a program that runs forever under a debugger a test started must not outlive it")
	flag.Parse()
	if *dieWithParent {
		if err := unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(unix.SIGKILL), 0, 0, 0); err != nil {
			fmt.Fprintln(os.Stderr, "dapprog: prctl(PR_SET_PDEATHSIG):", err)
			os.Exit(2)
		}
	}
	block = make([]byte, 1<<20)
	for i := range block {
		block[i] = byte(i)
	}
	fmt.Println("dapprog: started")
	for i := 1; ; i++ {
		sink = work(i)
		if *out != "" {
			writeCounter(*out, i)
		}
		if *iterations > 0 && i >= *iterations {
			fmt.Println("dapprog: done")
			os.Exit(0)
		}
		time.Sleep(*period)
	}
}
