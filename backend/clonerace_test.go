//go:build linux

package backend_test

// The clone race of attach as a figure: attach many times to a program
// that keeps creating threads, with our backend and with Delve's native
// backend, and count the programs killed. A thread that is inside clone(2)
// when it is attached makes a new thread nobody traces (see adoptStrays);
// that thread runs free, and the first breakpoint it executes kills the
// program with SIGTRAP. Ours finds such threads before writing a
// breakpoint and must lose no program; native's count is reported.
//
// The breakpoint is on runtime.schedule, which every thread of a Go
// program runs each time its goroutine blocks: a thread running free
// reaches it within milliseconds. The rules of bench_test.go hold: a
// native session and one of ours are never alive at once, and no program
// is started while a native session is.

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/go-delve/delve/pkg/proc"

	"github.com/dlv-listen/dlv-listen/backend"
	"github.com/dlv-listen/dlv-listen/internal/testprog"
)

// cloneRaceFunc is where the breakpoint of each attach goes.
const cloneRaceFunc = "runtime.schedule"

// cloneRaceAttaches is how many times each backend attaches: a few in the
// normal suite, 50 with DLV_LISTEN_STRESS=full.
func cloneRaceAttaches() int {
	if os.Getenv("DLV_LISTEN_STRESS") == "full" {
		return 50
	}
	return 4
}

// cloneRaceTally is what one backend's attaches did.
type cloneRaceTally struct {
	attaches, killed, strays, failed int
	deaths                           []string // how each killed program ended
	failures                         []string // attaches that failed, the program unharmed
}

func TestAttachCloneRace(t *testing.T) {
	n := cloneRaceAttaches()
	tallies := map[string]*cloneRaceTally{}
	for _, kind := range benchKinds {
		tally := &cloneRaceTally{}
		tallies[kind] = tally
		t.Run(kind, func(t *testing.T) {
			var job *testprog.Job
			for i := 0; i < n; i++ {
				if job == nil {
					// Fleeting threads, one every 100 µs: many clones
					// in flight while the threads are attached.
					job = testprog.Start(t, "threads", "-threads", "4", "-churn", "-fast")
				}
				tally.attaches++
				if death := cloneRaceRound(t, kind, job, tally); death != "" {
					tally.killed++
					tally.deaths = append(tally.deaths, death)
					t.Logf("%s: attach %d: program %d killed: %s", kind, i+1, job.Pid, death)
					job = nil
				}
			}
		})
	}
	ours, native := tallies[benchOurs], tallies[benchNative]
	t.Logf("clone race: %d attaches each to `threads -churn -fast`, breakpoint on %s, 3 continues, detach:\n"+
		"  dlv-listen: %d programs killed (%d untraced threads found and seized)\n"+
		"  native:     %d programs killed %q; %d attaches failed (program unharmed)",
		n, cloneRaceFunc, ours.killed, ours.strays, native.killed, native.deaths, native.failed)
	if ours.killed != 0 {
		t.Errorf("dlv-listen lost %d of %d programs to the clone race: %q", ours.killed, ours.attaches, ours.deaths)
	}
}

// cloneRaceRound attaches kind to job, sets the breakpoint, continues
// three times, clears it and detaches. It returns how the program ended
// if it did not survive, "" if it did.
func cloneRaceRound(t *testing.T, kind string, job *testprog.Job, tally *cloneRaceTally) string {
	t.Helper()
	grp, err := benchAttach(kind, job.Pid)
	if err != nil {
		if death := cloneRaceDeath(t, job); death != "" {
			return death
		}
		if kind == benchOurs {
			t.Fatalf("%s: attach %d: %v", kind, job.Pid, err)
		}
		// Native lists the threads once and fails when one of them has
		// exited before it is attached: not the race counted here, but
		// counted. The program must be let go unharmed.
		tally.failed++
		tally.failures = append(tally.failures, err.Error())
		waitUntraced(t, job.Pid)
		job.WaitAdvance(t, 5*time.Second)
		return cloneRaceDeath(t, job)
	}
	detached := false
	defer func() {
		if !detached {
			grp.Detach(false)
		}
	}()
	if p, ok := backend.Of(grp); ok {
		defer func() {
			for _, r := range p.Repairs() {
				if strings.Contains(r, "was not traced") {
					tally.strays++
				}
			}
		}()
	}
	tgt := grp.Selected
	pcs, err := proc.FindFunctionLocation(tgt.Process, cloneRaceFunc, 0)
	if err != nil {
		t.Fatalf("%s: find %s: %v", kind, cloneRaceFunc, err)
	}
	bp, err := tgt.SetBreakpoint(0, pcs[0], proc.UserBreakpoint, nil)
	if err != nil {
		if death := cloneRaceDeath(t, job); death != "" {
			return death
		}
		t.Fatalf("%s: set breakpoint on %s: %v", kind, cloneRaceFunc, err)
	}
	for c := 0; c < 3; c++ {
		if err := cloneRaceContinue(grp); err != nil {
			var exited proc.ErrProcessExited
			if errors.As(err, &exited) {
				detached = true // nothing to detach from
				return cloneRaceWaitDeath(t, job)
			}
			if death := cloneRaceDeath(t, job); death != "" {
				return death
			}
			t.Fatalf("%s: continue %d to %s: %v", kind, c+1, cloneRaceFunc, err)
		}
	}
	if err := tgt.ClearBreakpoint(bp.Addr); err != nil {
		if death := cloneRaceDeath(t, job); death != "" {
			return death
		}
		t.Fatalf("%s: clear breakpoint: %v", kind, err)
	}
	detached = true
	if err := grp.Detach(false); err != nil {
		if death := cloneRaceDeath(t, job); death != "" {
			return death
		}
		t.Fatalf("%s: detach %d: %v", kind, job.Pid, err)
	}
	// A thread that ran free through the session may still be executing
	// the last int3 it met: the program must count on, untraced.
	waitUntraced(t, job.Pid)
	job.WaitAdvance(t, 5*time.Second)
	return cloneRaceDeath(t, job)
}

// cloneRaceContinue continues grp, bounded: a program whose threads are
// lost may never reach the breakpoint again.
func cloneRaceContinue(grp *proc.TargetGroup) error {
	done := make(chan error, 1)
	go func() { done <- grp.Continue() }()
	select {
	case err := <-done:
		return err
	case <-time.After(testprog.Timeout(benchTimeout)):
		grp.RequestManualStop()
		<-done
		return fmt.Errorf("%s not hit within %v", cloneRaceFunc, testprog.Timeout(benchTimeout))
	}
}

// cloneRaceDeath is jobparent's record of the program's end, or "" while
// it lives.
func cloneRaceDeath(t *testing.T, job *testprog.Job) string {
	t.Helper()
	for _, ev := range job.Events() {
		if strings.HasPrefix(ev, "signaled ") || strings.HasPrefix(ev, "exited ") {
			return ev
		}
	}
	return ""
}

// cloneRaceWaitDeath waits for jobparent to record the end the debugger
// already saw.
func cloneRaceWaitDeath(t *testing.T, job *testprog.Job) string {
	t.Helper()
	return job.WaitExit(t, 5*time.Second)
}

// waitUntraced waits until nothing traces pid.
func waitUntraced(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(testprog.Timeout(5 * time.Second))
	for {
		_, tracer, err := testprog.ProcStat(pid)
		if err != nil || tracer == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("process %d still traced by %d after detach", pid, tracer)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
