package debugger_test

import (
	"reflect"
	"testing"

	"github.com/go-delve/delve/service/api"

	"github.com/dlv-listen/dlv-listen/internal/testprog"
)

// TestBriefState checks the brief states of PrepareContinue against the
// full state of the same stop: the same threads, locations and
// breakpoints, the goroutine of every thread that is current or at a
// breakpoint, and the selected goroutine's ID and current location.
func TestBriefState(t *testing.T) {
	job := testprog.Start(t, "counter", "-period", "0")
	job.WaitSettled(t)
	s := attach(t, job)
	bp := s.tickBreakpoint()
	for i := 0; i < 10; i++ {
		var brief *api.DebuggerState
		s.d.Client().PrepareContinue(api.Continue, true)(func(st *api.DebuggerState) { brief = st })
		if brief == nil || brief.Err != nil || brief.CurrentThread == nil || brief.CurrentThread.Breakpoint == nil || brief.CurrentThread.Breakpoint.ID != bp.ID {
			t.Fatalf("continue %d: %s, want breakpoint %d", i, describe(brief), bp.ID)
		}
		full, err := s.c.GetState()
		if err != nil {
			t.Fatal(err)
		}
		if len(brief.Threads) != len(full.Threads) || brief.StopReason != full.StopReason || brief.Pid != full.Pid {
			t.Fatalf("stop %d: brief %d threads (%q), full %d (%q)", i, len(brief.Threads), brief.StopReason, len(full.Threads), full.StopReason)
		}
		for k, b := range brief.Threads {
			f := full.Threads[k]
			wantG := f.Breakpoint != nil || f.ID == full.CurrentThread.ID
			g := b.GoroutineID
			if !wantG {
				g = f.GoroutineID // brief leaves it out
			}
			if b.ID != f.ID || b.PC != f.PC || b.File != f.File || b.Line != f.Line || g != f.GoroutineID ||
				!reflect.DeepEqual(b.Function, f.Function) || !reflect.DeepEqual(b.Breakpoint, f.Breakpoint) {
				t.Errorf("stop %d: thread %d: brief %+v, full %+v", i, f.ID, *b, *f)
			}
		}
		if brief.CurrentThread.ID != full.CurrentThread.ID || brief.CurrentThread.GoroutineID != full.CurrentThread.GoroutineID {
			t.Errorf("stop %d: current thread brief %+v, full %+v", i, *brief.CurrentThread, *full.CurrentThread)
		}
		bg, fg := brief.SelectedGoroutine, full.SelectedGoroutine
		if bg == nil || fg == nil || bg.ID != fg.ID || !reflect.DeepEqual(bg.CurrentLoc, fg.CurrentLoc) || bg.ThreadID != fg.ThreadID || bg.Status != fg.Status {
			t.Errorf("stop %d: selected goroutine brief %+v, full %+v", i, bg, fg)
		}
	}
}
