package backend_test

import (
	"strings"
	"testing"

	"github.com/go-delve/delve/pkg/proc"

	"github.com/dlv-listen/dlv-listen/backend"
	"github.com/dlv-listen/dlv-listen/internal/testprog"
)

// TestFollowExecStopsInChild: with follow-exec on, a child the debuggee
// starts with os/exec becomes a target and stops at a breakpoint in a
// function only children run; the parent and every child go on normally.
func TestFollowExecStopsInChild(t *testing.T) {
	job := testprog.Start(t, "spawner", "-period", "20ms")
	s := jcAttach(t, job)
	if err := backend.FollowExec(s.grp, true, ""); err != nil {
		t.Fatalf("FollowExec: %v", err)
	}
	lbp := &proc.LogicalBreakpoint{LogicalID: 1, HitCount: map[int64]uint64{}, Set: proc.SetBreakpoint{FunctionName: "main.childWork"}}
	s.grp.LogicalBreakpoints[1] = lbp
	if err := s.grp.SetBreakpointEnabled(lbp, true); err != nil {
		t.Fatalf("enable breakpoint: %v", err)
	}
	for i := 0; i < 3; i++ {
		if err := s.grp.Continue(); err != nil {
			t.Fatalf("continue %d: %v", i, err)
		}
		tgt := s.grp.TargetForThread(s.grp.Selected.CurrentThread().ThreadID())
		var trap *proc.Target
		for _, tt := range s.grp.Targets() {
			if ok, _ := tt.Valid(); !ok {
				continue
			}
			for _, th := range tt.ThreadList() {
				if th.Breakpoint().Breakpoint != nil {
					trap = tt
				}
			}
		}
		if trap == nil {
			t.Fatalf("continue %d: no thread at a breakpoint (selected %d)", i, tgt.Pid())
		}
		loc, err := proc.ThreadLocation(trap.CurrentThread())
		if err != nil || loc.Fn == nil || loc.Fn.Name != "main.childWork" {
			t.Fatalf("continue %d: stopped at %+v (%v)", i, loc, err)
		}
		if trap.Pid() == job.Pid {
			t.Fatalf("continue %d: stopped in the parent", i)
		}
		t.Logf("continue %d: child %d at main.childWork, %d targets", i, trap.Pid(), len(s.grp.Targets()))
	}
	if err := s.grp.Detach(false); err != nil {
		t.Fatalf("detach: %v", err)
	}
	waitRounds(t, job, job.Counter()+3)
	for _, l := range strings.Split(job.Output(), "\n") {
		if strings.HasPrefix(l, "child ") && strings.Contains(l, " pid ") && !strings.HasSuffix(l, "exit 3") {
			t.Errorf("child did not end normally: %s", l)
		}
	}
}
