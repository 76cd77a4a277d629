package backend_test

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

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

// TestAttachJobPipeline attaches to both Go ends of a shell pipeline at
// once, stops at a breakpoint in the second, and detaches from both.
func TestAttachJobPipeline(t *testing.T) {
	bin := testprog.Build(t, "pipeline")
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	sh := exec.Command("/bin/sh", "-c", bin+" produce -out "+a+" | "+bin+" consume -out "+b)
	sh.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := sh.Start(); err != nil {
		t.Fatal(err)
	}
	var kids []int
	t.Cleanup(func() {
		for _, k := range kids {
			_ = syscall.Kill(k, syscall.SIGKILL)
		}
		_ = sh.Process.Kill()
		_ = sh.Wait()
		// Gone before TempDir's cleanup removes their counter files.
		deadline := time.Now().Add(jcTimeout)
		for _, k := range kids {
			for time.Now().Before(deadline) {
				if st, _, err := testprog.ProcStat(k); err != nil || st == 'Z' {
					break
				}
				time.Sleep(time.Millisecond)
			}
		}
	})
	pollFor(t, "both ends counting", func() bool {
		kids = childrenOf(sh.Process.Pid)
		return len(kids) == 2 && testprog.ReadCounter(a) > 2 && testprog.ReadCounter(b) > 2
	})
	grp, skipped, err := backend.AttachJob(kids[0], nil)
	if err != nil {
		t.Fatalf("AttachJob: %v", err)
	}
	t.Logf("skipped: %+v", skipped)
	if len(skipped) != 1 || skipped[0].Pid != sh.Process.Pid {
		t.Errorf("skipped %+v, want the shell %d", skipped, sh.Process.Pid)
	}
	ps := backend.Processes(grp)
	if len(ps) != 2 {
		t.Fatalf("%d processes, want 2", len(ps))
	}
	lbp := &proc.LogicalBreakpoint{LogicalID: 1, HitCount: map[int64]uint64{}, Set: proc.SetBreakpoint{FunctionName: "main.consume"}}
	grp.LogicalBreakpoints[1] = lbp
	if err := grp.SetBreakpointEnabled(lbp, true); err != nil {
		t.Fatalf("enable breakpoint: %v", err)
	}
	for i := 0; i < 3; i++ {
		if err := grp.Continue(); err != nil {
			t.Fatalf("continue %d: %v", i, err)
		}
		var where []string
		for _, tt := range grp.Targets() {
			for _, th := range tt.ThreadList() {
				if bp := th.Breakpoint().Breakpoint; bp != nil {
					where = append(where, strings.TrimSpace(fmt.Sprintf("%d:%s", tt.Pid(), bp.FunctionName)))
				}
			}
		}
		t.Logf("continue %d: at %v", i, where)
		if len(where) == 0 {
			t.Fatalf("continue %d: no thread at a breakpoint", i)
		}
	}
	if err := grp.Detach(false); err != nil {
		t.Fatalf("detach: %v", err)
	}
	for _, k := range kids {
		if _, tracer, err := testprog.ProcStat(k); err != nil || tracer != 0 {
			t.Errorf("process %d after detach: tracer %d, %v", k, tracer, err)
		}
	}
	na, nb := testprog.ReadCounter(a), testprog.ReadCounter(b)
	pollFor(t, "both ends counting after detach", func() bool {
		return testprog.ReadCounter(a) > na+2 && testprog.ReadCounter(b) > nb+2
	})
}

// TestFollowExecLetsGo: children that the regex does not match, and
// children that run a program that is not Go, are let go at exec and end
// normally; proc hears of each one (EventProcessSpawned), as native has it
// announce every exec'd child: WillFollow false for a child the regex did
// not match, true for a matched one even though it could not be debugged.
func TestFollowExecLetsGo(t *testing.T) {
	for _, tc := range []struct {
		name, regex string
		args        []string
		status      string
		willFollow  bool
	}{
		{"regex", "no-such-program", nil, "exit 3", false},
		{"not-go", "", []string{"-exec", "/bin/true"}, "exit 0", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			job := testprog.Start(t, "spawner", append([]string{"-period", "5ms"}, tc.args...)...)
			s := jcAttach(t, job)
			var spawned []int
			s.grp.SetEventsFn(func(ev *proc.Event) {
				if ev.Kind == proc.EventProcessSpawned {
					spawned = append(spawned, ev.ProcessSpawnedEventDetails.PID)
					if got := ev.ProcessSpawnedEventDetails.WillFollow; got != tc.willFollow {
						t.Errorf("child %d announced with WillFollow %v, want %v", ev.ProcessSpawnedEventDetails.PID, got, tc.willFollow)
					}
				}
			})
			if err := backend.FollowExec(s.grp, true, tc.regex); err != nil {
				t.Fatalf("FollowExec: %v", err)
			}
			roundBP := breakOn(t, s.grp, "main.round")
			for i := 0; i < 10; i++ {
				if err := s.grp.Continue(); err != nil {
					t.Fatalf("continue %d: %v", i, err)
				}
			}
			if n := len(backend.Processes(s.grp)); n != 1 {
				t.Errorf("%d processes, want only the parent", n)
			}
			t.Logf("spawned events: %d", len(spawned))
			if len(spawned) < 8 {
				t.Errorf("%d spawned events for 10 rounds", len(spawned))
			}
			_ = s.tgt.ClearBreakpoint(roundBP)
			if err := s.grp.Detach(false); err != nil {
				t.Fatalf("detach: %v", err)
			}
			waitRounds(t, job, job.Counter()+2)
			n := 0
			for _, l := range strings.Split(job.Output(), "\n") {
				if strings.HasPrefix(l, "child ") && strings.Contains(l, " pid ") {
					n++
					if !strings.HasSuffix(l, tc.status) {
						t.Errorf("child did not end normally: %s", l)
					}
				}
			}
			t.Logf("%d children", n)
		})
	}
}

func breakOn(t *testing.T, grp *proc.TargetGroup, fn string) uint64 {
	t.Helper()
	addrs, err := proc.FindFunctionLocation(grp.Selected, fn, 0)
	if err != nil || len(addrs) == 0 {
		t.Fatalf("FindFunctionLocation(%s): %v %v", fn, addrs, err)
	}
	if _, err := grp.Selected.SetBreakpoint(100, addrs[0], proc.UserBreakpoint, nil); err != nil {
		t.Fatalf("SetBreakpoint(%s): %v", fn, err)
	}
	return addrs[0]
}
