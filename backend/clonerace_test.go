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
	"golang.org/x/sys/unix"

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
	failures                         []string // sessions that failed (native only), the program alive
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
				for deadline := time.Now().Add(testprog.Timeout(5 * time.Second)); cloneRaceDeathNow(job) == "" && time.Now().Before(deadline); {
					time.Sleep(5 * time.Millisecond)
				}
				cloneRaceDeath(t, job) // reaps it if a failed native session still traces it
			}
		})
	}
	ours, native := tallies[benchOurs], tallies[benchNative]
	t.Logf("clone race: %d attaches each to a program creating 100 threads, breakpoint on %s, 3 continues, detach:\n"+
		"  dlv-listen: %d programs killed (%d untraced threads found and seized)\n"+
		"  native:     %d programs killed %q; %d sessions failed otherwise %q",
		n, cloneRaceFunc, ours.killed, ours.strays, native.killed, native.deaths, native.failed, native.failures)
	if ours.killed != 0 {
		t.Errorf("dlv-listen lost %d of %d programs to the clone race: %q", ours.killed, ours.attaches, ours.deaths)
	}
}

// cloneRaceRound attaches kind to job, sets the breakpoint, continues
// three times, clears it and detaches. It returns how the program ended
// if it did not survive, "" if it did. Whatever else goes wrong fails the
// test for ours, and is counted in tally for native (the program is then
// killed by the caller).
func cloneRaceRound(t *testing.T, kind string, job *testprog.Job, tally *cloneRaceTally) string {
	t.Helper()
	hung := false // the program was killed to end a session that hung
	fail := func(format string, args ...any) string {
		t.Helper()
		if death := cloneRaceDeath(t, job); death != "" && !hung {
			return death
		}
		msg := fmt.Sprintf(kind+": "+format, args...)
		if kind == benchOurs {
			t.Fatal(msg)
		}
		tally.failed++
		tally.failures = append(tally.failures, msg)
		t.Log(msg)
		return ""
	}
	// afterDetach: the program must count on, untraced. A thread that ran
	// free through the session may have met an int3 (Go's handler then
	// reports SIGTRAP and exits 2).
	afterDetach := func() string {
		t.Helper()
		if err := waitUntraced(job.Pid); err != nil {
			return fail("%v", err)
		}
		death, err := cloneRaceLives(job)
		if err != nil {
			return fail("%v", err)
		}
		return death
	}
	grp, err := benchAttach(kind, job.Pid)
	if err != nil {
		// Native lists the threads once and fails when one of them has
		// exited before it is attached.
		if death := fail("attach %d: %v", job.Pid, err); death != "" {
			return death
		}
		return afterDetach()
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
		return fail("set breakpoint on %s: %v", cloneRaceFunc, err)
	}
	for c := 0; c < 3; c++ {
		if err := cloneRaceContinue(grp, job.Pid); err != nil {
			var exited proc.ErrProcessExited
			if errors.Is(err, errCloneRaceHung) {
				detached, hung = true, true // the process is gone
				return fail("continue %d to %s: %v", c+1, cloneRaceFunc, err)
			}
			if errors.As(err, &exited) {
				detached = true // nothing to detach from
				return job.WaitExit(t, 5*time.Second)
			}
			return fail("continue %d to %s: %v", c+1, cloneRaceFunc, err)
		}
	}
	if err := tgt.ClearBreakpoint(bp.Addr); err != nil {
		return fail("clear breakpoint: %v", err)
	}
	detached = true
	if err := grp.Detach(false); err != nil {
		return fail("detach %d: %v", job.Pid, err)
	}
	return afterDetach()
}

// cloneRaceLives waits until the program counts on and returns "", or
// until jobparent records its end and returns that.
func cloneRaceLives(job *testprog.Job) (string, error) {
	start := job.Counter()
	timeout := testprog.Timeout(5 * time.Second)
	deadline := time.Now().Add(timeout)
	for job.Counter() <= start {
		if death := cloneRaceDeathNow(job); death != "" {
			return death, nil
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("program %d: counter stuck at %d for %v after detach (state %q)", job.Pid, start, timeout, job.State())
		}
		time.Sleep(5 * time.Millisecond)
	}
	return cloneRaceDeathNow(job), nil
}

// errCloneRaceHung is cloneRaceContinue's answer when the debugger did
// not come back, even from a halt, and the program was killed to end it.
var errCloneRaceHung = errors.New("the debugger did not come back from a halt: the program was killed to end the session")

// cloneRaceContinue continues grp, bounded: a program whose threads are
// lost may never reach the breakpoint again, and native's step over a
// breakpoint can wait forever for a thread that never stops.
func cloneRaceContinue(grp *proc.TargetGroup, pid int) error {
	done := make(chan error, 1)
	go func() { done <- grp.Continue() }()
	timeout := testprog.Timeout(benchTimeout)
	select {
	case err := <-done:
		return err
	case <-time.After(timeout):
	}
	grp.RequestManualStop()
	select {
	case <-done:
		return fmt.Errorf("%s not hit within %v", cloneRaceFunc, timeout)
	case <-time.After(timeout):
	}
	unix.Kill(pid, unix.SIGKILL)
	select {
	case <-done:
		return fmt.Errorf("%s not hit within %v: %w", cloneRaceFunc, timeout, errCloneRaceHung)
	case <-time.After(timeout):
		panic(fmt.Sprintf("the debugger of process %d did not come back even after SIGKILL", pid))
	}
}

// cloneRaceDeath is how the program ended, or "" while it lives: a
// program that is gone but not yet recorded by jobparent is waited for
// (a zombie the debugger traces is reaped by its parent only once the
// debugger has reaped it).
func cloneRaceDeath(t *testing.T, job *testprog.Job) string {
	t.Helper()
	deadline := time.Now().Add(testprog.Timeout(time.Second))
	for {
		death := cloneRaceDeathNow(job)
		if death == "" || !strings.HasPrefix(death, "gone") {
			return death
		}
		if time.Now().After(deadline) {
			// Traced from this process (native's session) and not reaped
			// by it: reap it here, which also lets its parent see it.
			var ws unix.WaitStatus
			if pid, err := unix.Wait4(job.Pid, &ws, unix.WALL|unix.WNOHANG, nil); err == nil && pid == job.Pid {
				if ws.Signaled() {
					return "signaled " + unix.SignalName(ws.Signal()) + " (reaped from the debugger)"
				}
				return fmt.Sprintf("exited %d (reaped from the debugger)", ws.ExitStatus())
			}
			return death
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// cloneRaceDeathNow is jobparent's record of the program's end; "gone
// (...)" if the program is gone or a zombie and the record is not there
// yet; "" while it lives.
func cloneRaceDeathNow(job *testprog.Job) string {
	for _, ev := range job.Events() {
		if strings.HasPrefix(ev, "signaled ") || strings.HasPrefix(ev, "exited ") {
			return ev
		}
	}
	if st := job.State(); st == 0 || st == 'Z' || st == 'X' {
		return fmt.Sprintf("gone (state %q: dead, its tracer has not reaped it)", st)
	}
	return ""
}

// waitUntraced waits until nothing traces pid.
func waitUntraced(pid int) error {
	timeout := testprog.Timeout(5 * time.Second)
	deadline := time.Now().Add(timeout)
	for {
		_, tracer, err := testprog.ProcStat(pid)
		if err != nil || tracer == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("process %d still traced by %d %v after detach", pid, tracer, timeout)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
