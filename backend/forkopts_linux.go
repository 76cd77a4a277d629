package backend

import (
	"fmt"
	"strings"
	"time"

	"github.com/go-delve/delve/pkg/proc"
	"golang.org/x/sys/unix"
)

// Which children are traced.
//
// A vfork child is traced only while it could run into one of our
// breakpoints. It shares the debuggee's memory until it execs or exits
// (CLONE_VM), and Go's os/exec makes every child that way: traced, each
// child costs the debuggee two stops (its thread's PTRACE_EVENT_VFORK and
// the child's first stop), some 5% of the rate at which a Go program
// starts children, while Delve's native backend, which does not trace
// children, costs it none. So PTRACE_O_TRACEVFORK is on only while
//   - a software breakpoint is planted in code a vfork child may run
//     before it execs (endangersVforkChild), where one that ran into it
//     untraced would die of SIGTRAP: the runtime and syscall code of Go's
//     os/exec child (goExecChildPath), and code that is not Go (a C
//     library's posix_spawn or system(3) runs C in its child), but not
//     Delve's crash breakpoints, which a child reaches only when it dies
//     anyway. The program's own Go code does not run in a vfork child:
//     Go cannot run on the stack the child shares with its parent, so
//     os/exec runs only nosplit runtime and syscall code there (a program
//     that makes one with a raw clone in assembly, as the forker test
//     program does, is on its own there, as under native);
//   - follow-exec is on: each child is followed to its exec;
//   - the program runs free after an attach (the seize's options).
//
// Without it the kernel makes no event of clone(CLONE_VFORK) and does not
// attach the child (kernel_clone: the event is chosen from the flags, then
// dropped unless ptrace_event_enabled). PTRACE_O_TRACEFORK stays on: a
// forked child has a copy of the memory, crash breakpoints included, and is
// cleaned of them (fork_linux.go); Go programs hardly fork without exec.
//
// The options are per thread and a thread inherits its creator's
// (ptrace_init_task). PTRACE_SETOPTIONS needs the thread in a ptrace-stop,
// so each thread gets the options it should run with as it is resumed
// (syncOptions): every resume of a continue is one, and the breakpoints
// only change while every thread is held. A thread that cannot be resumed,
// one in an untraced vfork wait, keeps its options until its wait ends.
//
// A thread may then sleep in a vfork wait no event told of, where
// PTRACE_INTERRUPT does not stop it (see fork_linux.go). A stop of the
// world that waits vforkLookAfter without a report looks for such threads
// in /proc (findVforkWaiters), as an attach does: each is taken as a
// waiter, its child seized, so breakpoints planted now cannot kill it.

// untracedVforkOptions are the options a thread runs with while vfork
// children are not traced.
const untracedVforkOptions = ptraceOptions &^ unix.PTRACE_O_TRACEVFORK

// vforkLookAfter is how long a stop of the world waits without a report
// before it looks for threads in an untraced vfork wait: well above the
// time any thread takes to stop, well below stallAfter.
const vforkLookAfter = 10 * time.Millisecond

// endangersVforkChild reports whether a planted breakpoint is one a vfork
// child could run into and die of: a software breakpoint in the code of
// Go's os/exec child, in code that is not Go, or where the debug
// information knows no function; not one of Delve's crash breakpoints.
func (p *Process) endangersVforkChild(bp *proc.Breakpoint) bool {
	if bp.WatchType != 0 {
		return false // debug registers are not inherited (copy_thread)
	}
	fn := p.bi.PCToFunc(bp.Addr)
	if fn == nil {
		return true
	}
	if crashBreakpoints[fn.Name] {
		return false
	}
	if pkg := fn.PackageName(); pkg == "" || pkg == "C" {
		return true // C (Delve gives C functions no package), or unknown
	}
	return goExecChildPath(fn.Name)
}

// goExecChildPath reports whether function fn may run in a child of Go's
// os/exec before its execve: syscall.forkAndExecInChild1 and the runtime
// and syscall functions it calls.
func goExecChildPath(fn string) bool {
	for _, pkg := range []string{"syscall.", "runtime.", "internal/runtime/", "runtime/internal/", "internal/abi."} {
		if strings.HasPrefix(fn, pkg) {
			return true
		}
	}
	return false
}

// recordPlanted records a breakpoint put into the program. plantMu held.
func (p *Process) recordPlanted(bp *proc.Breakpoint) {
	p.forgetPlanted(bp.Addr)
	p.planted[bp.Addr] = bp
	if p.endangersVforkChild(bp) {
		p.vforkRisk.Add(1)
	}
}

// forgetPlanted drops the record of a breakpoint taken out of the program.
// plantMu held.
func (p *Process) forgetPlanted(addr uint64) {
	if bp, ok := p.planted[addr]; ok {
		if p.endangersVforkChild(bp) {
			p.vforkRisk.Add(-1)
		}
		delete(p.planted, addr)
	}
}

// runOptions are the ptrace options a thread of the debuggee should run
// with now. Any goroutine.
func (p *Process) runOptions() int {
	if p.vforkRisk.Load() > 0 || p.free.on.Load() || p.g.followOn() {
		return ptraceOptions
	}
	return untracedVforkOptions
}

// syncOptions gives a held thread about to be resumed the options it
// should run with, if it does not have them. Tracer thread.
func (p *Process) syncOptions(th *Thread) error {
	want := p.runOptions()
	if th.opts == want {
		return nil
	}
	if err := ptraceSetOptions(th.ID, want); err != nil {
		if err == unix.ESRCH {
			return nil // killed while stopped: its exit is on its way
		}
		return fmt.Errorf("set ptrace options of thread %d: %w", th.ID, err)
	}
	th.opts = want
	return nil
}

// findVforkWaiters looks, among threads a stop of the world waits for, for
// ones asleep in a vfork wait no event told of, and takes each as a waiter
// the stop need not wait for (noteVforkWait): its child is seized, its
// registers cannot be read until the wait ends. Tracer thread.
func (p *Process) findVforkWaiters(pending []*Thread) {
	for _, th := range pending {
		if th.state != held && !th.waitsForVfork() && p.thread(th.ID) != nil {
			p.noteVforkWait(th)
		}
	}
}
