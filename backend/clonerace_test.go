//go:build linux

package backend_test

// The clone race of attach as a figure: attach many times to a program
// that is creating threads, with our backend and with Delve's native
// backend, and count the programs killed. A thread that is inside
// clone(2) when it is attached makes a new thread nobody traces (see
// adoptStrays); that thread runs free, and the first breakpoint it
// executes kills the program with SIGTRAP (or Go's handler reports the
// SIGTRAP and exits 2). Ours finds such threads before writing a
// breakpoint and must lose no program; native's count is reported.
//
// Each round starts a fresh `threads -threads 100` and attaches as soon
// as it counts, while its runtime is still creating the hundred threads
// (a program just started, as the suite's tests attach to them). The
// breakpoint is on runtime.schedule, which every thread of a Go program
// runs each time its goroutine blocks: a thread running free reaches it
// within milliseconds. The rules of bench_test.go hold: a native session
// and one of ours are never alive at once, and no program is started
// while a native session is.

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-delve/delve/pkg/proc"

	"github.com/dlv-listen/dlv-listen/backend"
	"github.com/dlv-listen/dlv-listen/internal/testprog"
)

// cloneRaceFunc is where the breakpoint of each attach goes.
const cloneRaceFunc = "runtime.schedule"

// cloneRaceAttaches is how many times each backend attaches: a few in the
// normal suite (about a second each), 50 with DLV_LISTEN_STRESS=full.
func cloneRaceAttaches() int {
	if os.Getenv("DLV_LISTEN_STRESS") == "full" {
		return 50
	}
	return 3
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
			for i := 0; i < n; i++ {
				job := testprog.Start(t, "threads", "-threads", "100")
				tally.attaches++
				if death := cloneRaceRound(t, kind, job, tally); death != "" {
					if out, _, _ := strings.Cut(strings.TrimSpace(job.Output()), "\n"); out != "" {
						death += " (" + out + ")" // Go's report: "SIGTRAP: trace trap"
					}
					tally.killed++
					tally.deaths = append(tally.deaths, death)
					t.Logf("%s: attach %d: program %d killed: %s", kind, i+1, job.Pid, death)
					continue
				}
				// Its hundred threads would load the machine for the
				// rounds that follow.
				job.Signal(t, syscall.SIGKILL)
				job.WaitExit(t, 5*time.Second)
			}
		})
	}
	ours, native := tallies[benchOurs], tallies[benchNative]
	t.Logf("clone race: %d attaches each to a program creating 100 threads, breakpoint on %s, 3 continues, detach:\n"+
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
		return cloneRaceLives(t, job)
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
				return job.WaitExit(t, 5*time.Second)
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
	// A thread that ran free through the session may have met an int3
	// (Go's handler then reports SIGTRAP and exits 2): the program must
	// count on, untraced.
	waitUntraced(t, job.Pid)
	return cloneRaceLives(t, job)
}

// cloneRaceLives waits until the program counts on and returns "", or
// until jobparent records its end and returns that.
func cloneRaceLives(t *testing.T, job *testprog.Job) string {
	t.Helper()
	start := job.Counter()
	deadline := time.Now().Add(testprog.Timeout(5 * time.Second))
	for job.Counter() <= start {
		if death := cloneRaceDeath(t, job); death != "" {
			return death
		}
		if time.Now().After(deadline) {
			t.Fatalf("program %d: counter stuck at %d for %v after detach (state %q)", job.Pid, start, testprog.Timeout(5*time.Second), job.State())
		}
		time.Sleep(5 * time.Millisecond)
	}
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
// it lives. A program that is gone but not yet recorded is waited for.
func cloneRaceDeath(t *testing.T, job *testprog.Job) string {
	t.Helper()
	if st := job.State(); st == 0 || st == 'Z' || st == 'X' {
		return job.WaitExit(t, 5*time.Second)
	}
	for _, ev := range job.Events() {
		if strings.HasPrefix(ev, "signaled ") || strings.HasPrefix(ev, "exited ") {
			return ev
		}
	}
	return ""
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
