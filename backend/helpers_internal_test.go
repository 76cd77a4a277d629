package backend

import (
	"testing"
	"time"

	"github.com/dlv-listen/dlv-listen/internal/testprog"

	"github.com/go-delve/delve/pkg/proc"
)

// attachInternal attaches to pid for a test that reaches into the backend
// (package backend), detaching at the end if the process is still there.
func attachInternal(t *testing.T, pid int) (*proc.TargetGroup, *Process) {
	t.Helper()
	grp, err := Attach(pid, nil, nil)
	if err != nil {
		t.Fatalf("attach %d: %v", pid, err)
	}
	t.Cleanup(func() {
		if ok, _ := grp.Valid(); ok {
			_ = grp.Detach(false)
		}
	})
	p, _ := Of(grp)
	return grp, p
}

// continueResumed starts grp's Continue and returns once it has resumed
// the process (a halt requested before that is dropped by proc when
// Continue starts); the Continue's result comes on the channel.
func continueResumed(t *testing.T, grp *proc.TargetGroup) chan error {
	t.Helper()
	done := make(chan error, 1)
	resumed := make(chan struct{})
	grp.ResumeNotify(resumed)
	go func() { done <- grp.Continue() }()
	select {
	case <-resumed:
	case err := <-done:
		t.Fatalf("continue ended before it resumed the process: %v", err)
	case <-time.After(testprog.Timeout(10 * time.Second)):
		t.Fatal("the continue did not resume the process")
	}
	return done
}

// funcEntry returns where a breakpoint on function fn goes.
func funcEntry(t *testing.T, tgt *proc.Target, fn string) uint64 {
	t.Helper()
	addrs, err := proc.FindFunctionLocation(tgt, fn, 0)
	if err != nil {
		t.Fatal(err)
	}
	return addrs[0]
}

// breakOn sets a user breakpoint on function fn and returns its address.
func breakOn(t *testing.T, tgt *proc.Target, fn string) uint64 {
	t.Helper()
	addr := funcEntry(t, tgt, fn)
	if _, err := tgt.SetBreakpoint(0, addr, proc.UserBreakpoint, nil); err != nil {
		t.Fatal(err)
	}
	return addr
}

// continueToBreakpoint continues grp and fails the test unless it stops
// with the current thread at the breakpoint at addr.
func continueToBreakpoint(t *testing.T, grp *proc.TargetGroup, addr uint64) {
	t.Helper()
	if err := grp.Continue(); err != nil {
		t.Fatalf("continue: %v", err)
	}
	if bp := grp.Selected.CurrentThread().Breakpoint().Breakpoint; bp == nil || bp.Addr != addr {
		t.Fatalf("continue stopped at %v, want the breakpoint at %#x", bp, addr)
	}
}
