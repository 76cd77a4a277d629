package backend_test

// Attach lets the program run while Delve loads its debug information and
// stops it at the first operation that needs a stopped thread: these tests
// attach to programs that do something in that window.

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-delve/delve/pkg/proc"
	"golang.org/x/sys/unix"

	"github.com/dlv-listen/dlv-listen/backend"
	"github.com/dlv-listen/dlv-listen/internal/testprog"
	"github.com/dlv-listen/dlv-listen/listenmode"
)

const freeRunTimeout = 30 * time.Second

// assertAllHeld checks that when Attach or a halt returned, every thread of
// pid is in a ptrace-stop and known to the target, and the target knows no
// thread that is gone.
func assertAllHeld(t *testing.T, tgt *proc.Target, pid int) {
	t.Helper()
	known := map[int]bool{}
	for _, th := range tgt.ThreadList() {
		known[th.ThreadID()] = true
	}
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		t.Fatal(err)
	}
	var bad []string
	tasks := map[int]bool{}
	for _, e := range ents {
		tid, _ := strconv.Atoi(e.Name())
		tasks[tid] = true
		st, _, err := testprog.ProcStat(tid)
		if err != nil {
			continue // exited meanwhile: only a thread of ours could, and none runs
		}
		if st != 't' {
			bad = append(bad, fmt.Sprintf("thread %d in state %q", tid, st))
		}
		if !known[tid] {
			bad = append(bad, fmt.Sprintf("thread %d unknown to the target", tid))
		}
	}
	for tid := range known {
		if !tasks[tid] {
			bad = append(bad, fmt.Sprintf("target lists thread %d, which is gone", tid))
		}
	}
	if len(bad) > 0 {
		t.Fatalf("pid %d: not every thread held and known: %s", pid, strings.Join(bad, "; "))
	}
}

// TestAttachPanicWhileLoading attaches to a program that panics as soon as
// the unrecovered-panic breakpoint is in its text, which Delve plants while
// it builds the target, before the backend stops the program: the panic
// runs into it. The hit must reach proc as the unrecovered-panic stop at
// the first Continue, and after detach the program dies of its own panic,
// not of a stray SIGTRAP.
func TestAttachPanicWhileLoading(t *testing.T) {
	job := testprog.Start(t, "planted", "-do", "panic")
	grp := attach(t, job.Pid)
	tgt := grp.Selected
	assertAllHeld(t, tgt, job.Pid)
	if err := grp.Continue(); err != nil {
		t.Fatalf("continue: %v", err)
	}
	bp := tgt.CurrentThread().Breakpoint().Breakpoint
	if bp == nil || bp.Logical == nil || bp.Logical.Name != proc.UnrecoveredPanic {
		t.Fatalf("continue stopped at %v, want the %s breakpoint", bp, proc.UnrecoveredPanic)
	}
	wantLocation(t, tgt, "runtime.fatalpanic", 0)
	if err := grp.Detach(false); err != nil {
		t.Fatalf("detach: %v", err)
	}
	if got := job.WaitExit(t, freeRunTimeout); got != "exited 2" {
		t.Fatalf("after detach the program ended with %q, want its panic's \"exited 2\"; output:\n%s", got, job.Output())
	}
	if out := job.Output(); !strings.Contains(out, "panic: planted: a breakpoint is planted") {
		t.Fatalf("the program's panic message is missing; output:\n%s", out)
	}
}

// TestAttachStoppedWhileLoading attaches to a program that stops itself
// with SIGSTOP while the debug information loads, before the backend stops
// it: Attach reports it stopped, and it stays stopped through a continue
// until SIGCONT. (Should the machine be so slow that the backend stops the
// program before the SIGSTOP is delivered, the signal is kept for the
// program and the group-stop is reported at the continue instead.)
func TestAttachStoppedWhileLoading(t *testing.T) {
	job := testprog.Start(t, "planted", "-do", "stop")
	grp := attach(t, job.Pid)
	p, _ := backend.Of(grp)
	st, sig := p.JobState()
	sub := p.Subscribe()
	defer sub.Close()
	done := continueAsync(grp)
	switch {
	case st == listenmode.StateStopped && sig == unix.SIGSTOP:
	case st == listenmode.StateRunning:
		t.Log("the SIGSTOP came after the backend stopped the program: reported at the continue")
		jcExpectEvent(t, sub, job.Pid, listenmode.GroupStopBegan, unix.SIGSTOP)
	default:
		t.Fatalf("job state after attach: %v %v, want stopped by SIGSTOP", st, sig)
	}
	job.WaitEvent(t, "stopped SIGSTOP", freeRunTimeout)
	job.AssertFrozen(t, 300*time.Millisecond)
	job.Signal(t, unix.SIGCONT)
	jcExpectEvent(t, sub, job.Pid, listenmode.GroupStopEnded, 0)
	job.WaitAdvance(t, freeRunTimeout)
	if err := haltAndWait(t, grp, done); err != nil {
		t.Fatalf("continue: %v", err)
	}
	if err := grp.Detach(false); err != nil {
		t.Fatalf("detach: %v", err)
	}
	job.WaitAdvance(t, freeRunTimeout)
}

// TestAttachWhileThreadsChurn attaches to a program that keeps creating and
// ending threads while the debug information loads: when Attach returns and
// after a halt, every thread is held and the target's list matches the
// kernel's; the program runs on after detach.
func TestAttachWhileThreadsChurn(t *testing.T) {
	job := testprog.Start(t, "threads", "-threads", "8", "-churn")
	grp := attach(t, job.Pid)
	tgt := grp.Selected
	assertAllHeld(t, tgt, job.Pid)
	done := continueAsync(grp)
	job.WaitAdvance(t, freeRunTimeout)
	if err := haltAndWait(t, grp, done); err != nil {
		t.Fatalf("continue: %v", err)
	}
	assertAllHeld(t, tgt, job.Pid)
	if err := grp.Detach(false); err != nil {
		t.Fatalf("detach: %v", err)
	}
	job.WaitAdvance(t, freeRunTimeout)
}

// TestAttachSpinning attaches to a program with a goroutine in a loop that
// makes no call and no system call (stopped only by PTRACE_INTERRUPT, and
// preempted by the runtime with SIGURG, which the backend delivers while
// the program runs free): its variable is read at attach and has moved
// after a continue.
func TestAttachSpinning(t *testing.T) {
	job := testprog.Start(t, "counter", "-spin", "-workers", "1")
	grp := attach(t, job.Pid)
	tgt := grp.Selected
	assertAllHeld(t, tgt, job.Pid)
	before := spins(t, tgt)
	done := continueAsync(grp)
	job.WaitAdvance(t, freeRunTimeout)
	if err := haltAndWait(t, grp, done); err != nil {
		t.Fatalf("continue: %v", err)
	}
	assertAllHeld(t, tgt, job.Pid)
	if after := spins(t, tgt); after <= before {
		t.Fatalf("main.spins did not move over a continue: %d, then %d", before, after)
	}
	if err := grp.Detach(false); err != nil {
		t.Fatalf("detach: %v", err)
	}
	job.WaitAdvance(t, freeRunTimeout)
}

// spins reads counter's main.spins in the scope of the current thread,
// which may run no goroutine.
func spins(t *testing.T, tgt *proc.Target) int64 {
	t.Helper()
	scope, err := proc.ThreadScope(tgt, tgt.CurrentThread())
	if err != nil {
		t.Fatalf("scope: %v", err)
	}
	v, err := scope.EvalExpression("main.spins", loadAll)
	if err != nil || v.Unreadable != nil {
		t.Fatalf("eval main.spins: %v %v", err, v)
	}
	n, err := strconv.ParseInt(v.Value.String(), 10, 64)
	if err != nil {
		t.Fatalf("main.spins = %v: %v", v.Value, err)
	}
	return n
}
