// Command forker is a debuggee that makes child processes in a loop, the
// two ways a Go program does: os/exec (clone(CLONE_VFORK|CLONE_VM), the
// child shares the parent's memory until it execs) and a raw fork(2)
// without exec (the child has a copy of the parent's memory, debugger
// breakpoints included, and runs main.inChild). It reaps each child and
// prints one line per child on stdout:
//
//	exec N exit STATUS | exec N signal NAME
//	fork N exit STATUS | fork N signal NAME
//
// and the number of rounds done in the -out counter file. On SIGUSR1 it
// also makes, in the next round, a vfork child that stops itself with
// SIGSTOP (vfork.go), so its parent thread waits in the kernel until the
// child is continued: "vfork N exit 0" follows that. On SIGUSR2 the vfork
// child blocks instead, with no stop, until it is killed: "vfork N
// returned" is the parent thread's first act after its wait, and "vfork N
// signal killed" follows.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
	"time"
)

// forkStatus is the exit status of a raw-fork child: inChild's result, so
// a status of 7 also proves the child ran inChild.
const forkStatus = 7

var sink int

// inChild runs only in a raw-fork child: a debugger breakpoint here is in
// the child's copy of the parent's memory.
//
//go:noinline
func inChild(x int) int { return 2*x + 1 }

// round is called by the parent once per round: a place for a breakpoint
// that only the parent hits.
//
//go:noinline
func round(n int) int {
	sink = n
	return n
}

func main() {
	if len(os.Args) == 2 && os.Args[1] == "child" {
		os.Exit(0) // the os/exec child, a Go program
	}
	out := flag.String("out", "", "counter file")
	execs := flag.Bool("exec", true, "start an os/exec child each round")
	forks := flag.Bool("fork", true, "make a raw fork(2) child each round")
	traceme := flag.Bool("traceme", false, "start an os/exec child traced by this process (SysProcAttr.Ptrace) each round")
	rounds := flag.Int("rounds", 0, "exit after this many rounds (0 = forever)")
	period := flag.Duration("period", time.Millisecond, "pause between rounds")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "forker: -out is required")
		os.Exit(2)
	}
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "forker:", err)
		os.Exit(2)
	}
	usr1 := make(chan os.Signal, 1)
	signal.Notify(usr1, syscall.SIGUSR1)
	usr2 := make(chan os.Signal, 1)
	signal.Notify(usr2, syscall.SIGUSR2)
	for n := 1; *rounds == 0 || n <= *rounds; n++ {
		round(n)
		select {
		case <-usr1:
			vforkStopped(n)
		case <-usr2:
			vforkBlocked(n)
		default:
		}
		if *execs {
			cmd := exec.Command(self, "child")
			err := cmd.Run()
			report("exec", n, cmd.ProcessState, err)
		}
		if *forks {
			forkOnce(n)
		}
		if *traceme {
			tracedChild(n, self)
		}
		writeCounter(*out, n)
		time.Sleep(*period)
	}
}

// tracedChild starts an os/exec child that asks to be traced by this
// process (PTRACE_TRACEME, as Delve's launch does), takes its stop at exec,
// lets it go and reaps it: "traceme N exit 0".
func tracedChild(n int, self string) {
	// ptrace requests must come from the thread the child was forked from.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	cmd := exec.Command(self, "child")
	// A child whose parent is gone before its PTRACE_TRACEME would be
	// traced by init, stopped at its exec for good: it dies with the
	// thread that made it instead (os/exec sets the signal and checks the
	// parent before it asks to be traced).
	cmd.SysProcAttr = &syscall.SysProcAttr{Ptrace: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		fmt.Printf("traceme %d error %v\n", n, err)
		return
	}
	var ws syscall.WaitStatus
	if _, err := syscall.Wait4(cmd.Process.Pid, &ws, 0, nil); err != nil || !ws.Stopped() {
		fmt.Printf("traceme %d error: no stop at exec (%v, %#x)\n", n, err, uint32(ws))
	} else if err := syscall.PtraceDetach(cmd.Process.Pid); err != nil {
		fmt.Printf("traceme %d error: detach: %v\n", n, err)
	}
	err := cmd.Wait()
	report("traceme", n, cmd.ProcessState, err)
}

// forkOnce makes a child with fork(2) and no exec. In the child only the
// forking thread exists, so it runs nothing that could wait for another
// thread: inChild, then exit_group.
func forkOnce(n int) {
	pid, errno := rawFork()
	if errno != 0 {
		fmt.Printf("fork %d error %v\n", n, errno)
		return
	}
	if pid == 0 {
		status := inChild(3)
		syscall.RawSyscall(syscall.SYS_EXIT_GROUP, uintptr(status), 0, 0)
	}
	reap("fork", n, int(pid))
}

// reap waits for child pid and prints how it ended.
func reap(kind string, n, pid int) {
	var ws syscall.WaitStatus
	for {
		_, err := syscall.Wait4(pid, &ws, 0, nil)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			fmt.Printf("%s %d error %v\n", kind, n, err)
			return
		}
		break
	}
	printStatus(kind, n, ws)
}

func report(kind string, n int, ps *os.ProcessState, err error) {
	if ps == nil {
		fmt.Printf("%s %d error %v\n", kind, n, err)
		return
	}
	printStatus(kind, n, ps.Sys().(syscall.WaitStatus))
}

func printStatus(kind string, n int, ws syscall.WaitStatus) {
	switch {
	case ws.Exited():
		fmt.Printf("%s %d exit %d\n", kind, n, ws.ExitStatus())
	case ws.Signaled():
		fmt.Printf("%s %d signal %s\n", kind, n, ws.Signal())
	default:
		fmt.Printf("%s %d status %#x\n", kind, n, uint32(ws))
	}
}

func writeCounter(path string, n int) {
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	if err := os.WriteFile(tmp, []byte(strconv.Itoa(n)), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "forker:", err)
		os.Exit(2)
	}
	if err := os.Rename(tmp, path); err != nil {
		fmt.Fprintln(os.Stderr, "forker:", err)
		os.Exit(2)
	}
}
