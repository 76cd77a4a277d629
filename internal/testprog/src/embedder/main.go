// Command embedder is a program that embeds the backend, as an IDE adapter
// or a test harness does: it attaches to -pid, sets a breakpoint on -break
// and continues. Tests send it a terminating signal and check it let the
// process go cleanly.
package main

import (
	"flag"
	"fmt"
	"os"
	"syscall"

	"github.com/go-delve/delve/pkg/proc"

	"github.com/dlv-listen/dlv-listen/backend"
)

func main() {
	pid := flag.Int("pid", 0, "process to attach to")
	fn := flag.String("break", "main.tick", "function to break on (never hit is fine)")
	flag.Parse()
	grp, err := backend.Attach(*pid, nil, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, "embedder:", err)
		os.Exit(2)
	}
	p, _ := backend.Of(grp)
	p.ReleaseOnSignals(syscall.SIGTERM, syscall.SIGINT)
	addrs, err := proc.FindFunctionLocation(grp.Selected, *fn, 0)
	if err != nil {
		fmt.Fprintln(os.Stderr, "embedder:", err)
		os.Exit(2)
	}
	for _, a := range addrs {
		fmt.Printf("breakpoint %#x\n", a)
		if _, err := grp.Selected.SetBreakpoint(1, a, proc.UserBreakpoint, nil); err != nil {
			fmt.Fprintln(os.Stderr, "embedder:", err)
			os.Exit(2)
		}
	}
	resumed := make(chan struct{})
	grp.ResumeNotify(resumed)
	done := make(chan error, 1)
	go func() { done <- grp.Continue() }()
	<-resumed
	fmt.Println("continuing")
	err = <-done
	fmt.Println("continue returned:", err)
	select {} // the signal handler ends the program
}
