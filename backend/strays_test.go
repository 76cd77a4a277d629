package backend

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/go-delve/delve/pkg/proc"
	"golang.org/x/sys/unix"

	"github.com/dlv-listen/dlv-listen/internal/testprog"
)

// TestBreakpointWithUntracedThreads makes, against a real process, the
// threads the clone race of attach can leave (adoptStrays): every thread
// but the leader is let go behind the backend's back, as if created by a
// thread that was seized inside clone(2). The next halt must find and
// seize them, say so in Repairs, and hold every thread; then a breakpoint
// in main.rare, which the main goroutine calls every few milliseconds on
// whichever thread runs it, must be reported. An untraced thread executing
// that int3 would kill the program with SIGTRAP.
func TestBreakpointWithUntracedThreads(t *testing.T) {
	job := testprog.Start(t, "threads", "-threads", "3", "-rare", "3")
	grp, p := attachInternal(t, job.Pid)

	var released []int
	var relErr error
	p.tr.do(func() {
		for _, th := range p.threadSlice() {
			if th.ID == p.pid {
				continue
			}
			// Held, so in a ptrace-stop: let go, and forget.
			if relErr = ptrace(unix.PTRACE_DETACH, th.ID, 0, 0); relErr != nil {
				return
			}
			p.removeThread(th.ID)
			released = append(released, th.ID)
		}
	})
	if relErr != nil {
		t.Fatalf("letting threads go: %v", relErr)
	}
	if len(released) == 0 {
		t.Fatal("the program has no thread but its leader")
	}
	for _, tid := range released {
		if tr := tracerOf(job.Pid, tid); tr != 0 {
			t.Fatalf("thread %d still traced by %d after PTRACE_DETACH", tid, tr)
		}
	}

	// Run a little, halt: the halt must take the strays in. The strays run
	// the program before the continue does, so wait until the continue
	// has resumed the process: a halt requested before that is dropped by
	// proc when Continue starts, and the continue would never end.
	done := continueResumed(t, grp)
	job.WaitAdvance(t, testprog.Timeout(5*time.Second))
	if err := grp.RequestManualStop(); err != nil {
		t.Fatalf("RequestManualStop: %v", err)
	}
	if err := <-done; err != nil {
		t.Fatalf("halted continue: %v", err)
	}
	repairs := strings.Join(p.Repairs(), "\n")
	for _, tid := range released {
		if p.thread(tid) == nil && tracerOf(job.Pid, tid) == 0 {
			if _, err := taskState(job.Pid, tid); err != nil {
				continue // exited meanwhile (the runtime may end an idle thread)
			}
		}
		want := fmt.Sprintf("thread %d of process %d was not traced", tid, job.Pid)
		if !strings.Contains(repairs, want) {
			t.Errorf("repairs lack %q; got:\n%s", want, repairs)
		}
	}
	assertEveryThreadHeld(t, p)

	tgt := grp.Selected
	pcs, err := proc.FindFunctionLocation(tgt.Process, "main.rare", 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tgt.SetBreakpoint(0, pcs[0], proc.UserBreakpoint, nil); err != nil {
		t.Fatalf("set breakpoint in main.rare: %v", err)
	}
	go func() { done <- grp.Continue() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("continue to main.rare: %v (program output: %q)", err, job.Output())
		}
	case <-time.After(testprog.Timeout(20 * time.Second)):
		t.Fatal("main.rare not reached")
	}
	if bp := tgt.CurrentThread().Breakpoint().Breakpoint; bp == nil || bp.Addr != pcs[0] {
		t.Fatalf("stopped at %v, want the breakpoint in main.rare", bp)
	}
	assertEveryThreadHeld(t, p)
}

// assertEveryThreadHeld checks that each thread in /proc is in the table,
// held, and traced by the tracer thread.
func assertEveryThreadHeld(t *testing.T, p *Process) {
	t.Helper()
	tids, err := listTasks(p.pid)
	if err != nil {
		t.Fatal(err)
	}
	var tracer int
	p.tr.do(func() { tracer = unix.Gettid() })
	for _, tid := range tids {
		th := p.thread(tid)
		switch {
		case th == nil:
			t.Errorf("thread %d of process %d is not in the table", tid, p.pid)
		case th.state != held:
			t.Errorf("thread %d of process %d is not held (state %d)", tid, p.pid, th.state)
		case tracerOf(p.pid, tid) != tracer:
			t.Errorf("thread %d of process %d is traced by %d, not the tracer %d", tid, p.pid, tracerOf(p.pid, tid), tracer)
		}
	}
}

// TestSweepEndsOnceClean: the attach's first stop sweeps /proc for
// untraced threads; once a sweep with every thread held finds none, later
// stops only compare the thread count (tableComplete), which agrees with
// the table while threads come and go.
func TestSweepEndsOnceClean(t *testing.T) {
	job := testprog.Start(t, "threads", "-threads", "3", "-churn")
	grp, p := attachInternal(t, job.Pid)
	var clean, complete bool
	p.tr.do(func() { clean, complete = p.strayFree, p.tableComplete() })
	if !clean {
		t.Fatal("after attach, the process is not marked free of untraced threads")
	}
	if !complete {
		t.Fatalf("with every thread held the kernel's thread count differs from the table's %d", len(p.threadSlice()))
	}
	for i := 0; i < 20; i++ {
		done := make(chan error, 1)
		go func() { done <- grp.Continue() }()
		job.WaitAdvance(t, testprog.Timeout(5*time.Second))
		if err := grp.RequestManualStop(); err != nil {
			t.Fatalf("RequestManualStop: %v", err)
		}
		if err := <-done; err != nil {
			t.Fatalf("halted continue: %v", err)
		}
		p.tr.do(func() { complete = p.tableComplete() })
		if !complete {
			t.Fatalf("round %d: the kernel's thread count differs from the table's %d", i, len(p.threadSlice()))
		}
		assertEveryThreadHeld(t, p)
	}
	if r := p.Repairs(); len(r) != 0 {
		t.Fatalf("repairs on a program without strays: %q", r)
	}
}
