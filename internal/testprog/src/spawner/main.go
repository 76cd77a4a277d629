// Command spawner is a debuggee that starts Go children with os/exec: its
// own executable in child mode, a program with functions only a child runs
// (main.childWork), so a breakpoint there exists only in a child. Each
// round it starts -per children one after another, reaps each and prints
// one line per child on stdout:
//
//	child N pid PID exit STATUS | child N pid PID signal NAME
//
// and the number of rounds done in the -out counter file. A child prints
// "child N result R" (R = childWork(N)) and exits with status 3, so a
// status of 3 proves it ran childWork to the end. With -exec PATH the
// children run PATH (its arguments follow the flags) instead: a non-Go or
// stripped program, which follow-exec must let go.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// childStatus is the exit status of a child that ran childWork.
const childStatus = 3

var sink int

// childWork runs only in a child: a breakpoint here is a child's.
//
//go:noinline
func childWork(n int) int {
	r := n*10 + 1
	sink = r
	return r
}

// round is called by the parent once per round: a breakpoint only the
// parent hits.
//
//go:noinline
func round(n int) int {
	sink = n
	return n
}

func main() {
	if len(os.Args) == 3 && os.Args[1] == "child" {
		n, _ := strconv.Atoi(os.Args[2])
		fmt.Printf("child %d result %d\n", n, childWork(n))
		os.Exit(childStatus)
	}
	out := flag.String("out", "", "counter file")
	rounds := flag.Int("rounds", 0, "exit after this many rounds (0 = forever)")
	per := flag.Int("per", 1, "children per round")
	period := flag.Duration("period", 10*time.Millisecond, "pause between rounds")
	other := flag.String("exec", "", "run this program as the child instead of ourselves")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "spawner: -out is required")
		os.Exit(2)
	}
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "spawner:", err)
		os.Exit(2)
	}
	n := 0
	for r := 1; *rounds == 0 || r <= *rounds; r++ {
		round(r)
		for i := 0; i < *per; i++ {
			n++
			var cmd *exec.Cmd
			if *other != "" {
				cmd = exec.Command(*other, flag.Args()...)
			} else {
				cmd = exec.Command(self, "child", strconv.Itoa(n))
			}
			cmd.Stdout = os.Stdout
			cmd.Stderr = os.Stderr
			err := cmd.Run()
			report(n, cmd, err)
		}
		writeCounter(*out, r)
		time.Sleep(*period)
	}
}

func report(n int, cmd *exec.Cmd, err error) {
	ps := cmd.ProcessState
	if ps == nil {
		fmt.Printf("child %d error %v\n", n, err)
		return
	}
	ws := ps.Sys().(syscall.WaitStatus)
	switch {
	case ws.Exited():
		fmt.Printf("child %d pid %d exit %d\n", n, ps.Pid(), ws.ExitStatus())
	case ws.Signaled():
		fmt.Printf("child %d pid %d signal %s\n", n, ps.Pid(), ws.Signal())
	default:
		fmt.Printf("child %d pid %d status %#x\n", n, ps.Pid(), uint32(ws))
	}
}

func writeCounter(path string, n int) {
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	if err := os.WriteFile(tmp, []byte(strconv.Itoa(n)), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "spawner:", err)
		os.Exit(2)
	}
	if err := os.Rename(tmp, path); err != nil {
		fmt.Fprintln(os.Stderr, "spawner:", err)
		os.Exit(2)
	}
}
