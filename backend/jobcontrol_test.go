package backend_test

// Job-control tests of the backend against real processes and the real
// kernel: attach to stopped programs, group-stops while continuing, halts,
// detach while stopped, many threads, SIGKILL while listening, programs that
// handle SIGTSTP themselves, and PolicyReport.
//
// "Stopped" is checked three ways: the program's counter does not advance,
// its real parent (jobparent) saw the stop with wait(2) WUNTRACED, and
// /proc shows 't' while we trace it, 'T' after detach.

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-delve/delve/pkg/proc"
	"golang.org/x/sys/unix"

	"github.com/dlv-listen/dlv-listen/backend"
	"github.com/dlv-listen/dlv-listen/internal/testprog"
	"github.com/dlv-listen/dlv-listen/listenmode"
)

// jcTimeout is the deadline for anything that should happen "at once".
var jcTimeout = testprog.Timeout(5 * time.Second)

const (
	jcFrozen = time.Second // observation window: a stopped program does not advance
)

// jcSession is one backend session on one job.
type jcSession struct {
	t    *testing.T
	job  *testprog.Job
	grp  *proc.TargetGroup
	tgt  *proc.Target
	p    *backend.Process
	cont *jcCont // the Continue running in a goroutine, if any
	bpID int
}

// jcAttach attaches the backend to job. At cleanup, a Continue still
// running is halted (or the process released) and the process is detached,
// before testprog's own cleanup kills it.
func jcAttach(t *testing.T, job *testprog.Job) *jcSession {
	t.Helper()
	grp, err := backend.Attach(job.Pid, nil, nil)
	if err != nil {
		t.Fatalf("attach %d: %v", job.Pid, err)
	}
	p, ok := backend.Of(grp)
	if !ok {
		t.Fatalf("backend.Of: not a backend process")
	}
	s := &jcSession{t: t, job: job, grp: grp, tgt: grp.Selected, p: p}
	t.Cleanup(s.cleanup)
	return s
}

func (s *jcSession) cleanup() {
	if c := s.cont; c != nil && !c.finished() {
		_ = s.grp.RequestManualStop()
		if !c.waitQuiet(jcTimeout) {
			s.t.Errorf("cleanup: Continue did not return %v after a halt; releasing", jcTimeout)
			s.p.Release()
			if !c.waitQuiet(jcTimeout) {
				s.t.Errorf("cleanup: Continue did not return after Release; killing %d", s.job.Pid)
				_ = syscall.Kill(s.job.Pid, syscall.SIGKILL)
				if !c.waitQuiet(jcTimeout) {
					s.t.Errorf("cleanup: Continue still blocked after SIGKILL")
					return
				}
			}
		}
	}
	if ok, _ := s.tgt.Valid(); ok {
		if err := s.grp.Detach(false); err != nil {
			s.t.Errorf("cleanup: detach: %v", err)
		}
	}
}

// jcCont is a grp.Continue running in its own goroutine.
type jcCont struct {
	s    *jcSession
	done chan error
	err  error
	got  bool
}

// continueAsync starts Continue in a goroutine and returns once the backend
// has resumed the process (cctx.ResumeChan closed) or Continue returned, so
// that a RequestManualStop that follows cannot be swallowed by Continue's
// own clearing of stale halt requests.
func (s *jcSession) continueAsync() *jcCont {
	s.t.Helper()
	if s.cont != nil && !s.cont.finished() {
		s.t.Fatalf("continueAsync: a Continue is still running")
	}
	resumed := make(chan struct{})
	s.grp.ResumeNotify(resumed)
	c := &jcCont{s: s, done: make(chan error, 1)}
	s.cont = c
	go func() { c.done <- s.grp.Continue() }()
	select {
	case <-resumed:
	case err := <-c.done:
		c.err, c.got = err, true
	case <-time.After(jcTimeout):
		s.t.Fatalf("Continue did not resume the process within %v", jcTimeout)
	}
	return c
}

func (c *jcCont) finished() bool {
	if c.got {
		return true
	}
	select {
	case err := <-c.done:
		c.err, c.got = err, true
		return true
	default:
		return false
	}
}

func (c *jcCont) waitQuiet(d time.Duration) bool {
	if c.got {
		return true
	}
	select {
	case err := <-c.done:
		c.err, c.got = err, true
		return true
	case <-time.After(d):
		return false
	}
}

// wait waits for Continue to return and gives its error.
func (c *jcCont) wait(d time.Duration) error {
	c.s.t.Helper()
	if !c.waitQuiet(d) {
		c.s.t.Fatalf("Continue did not return within %v (state %q, events %q)",
			d, jcStateString(c.s.job.State()), c.s.job.Events())
	}
	return c.err
}

// assertRunning fails if Continue has returned.
func (c *jcCont) assertRunning(what string) {
	c.s.t.Helper()
	if c.finished() {
		c.s.t.Fatalf("%s: Continue returned early: %v (stop reason %v)", what, c.err, c.s.tgt.StopReason)
	}
}

// halt stops a running Continue with RequestManualStop and checks that it
// returns nil with a manual stop.
func (c *jcCont) halt() {
	c.s.t.Helper()
	if err := c.s.grp.RequestManualStop(); err != nil {
		c.s.t.Fatalf("RequestManualStop: %v", err)
	}
	// Bounded by jcTimeout; how fast a halt is, is BenchmarkHalt's
	// question (a loaded machine took 1.9 s here once, with no fault).
	if err := c.wait(jcTimeout); err != nil {
		c.s.t.Fatalf("Continue after halt: %v", err)
	}
	if r := c.s.tgt.StopReason; r != proc.StopManual {
		c.s.t.Fatalf("stop reason after halt = %v, want %v", r, proc.StopManual)
	}
}

// atBreakpoint waits for Continue to return at fn.
func (c *jcCont) atBreakpoint(fn string) {
	c.s.t.Helper()
	if err := c.wait(jcTimeout); err != nil {
		c.s.t.Fatalf("Continue: %v (events %q)", err, c.s.job.Events())
	}
	c.s.assertAt(fn)
}

func (s *jcSession) assertAt(fn string) {
	s.t.Helper()
	th := s.tgt.CurrentThread()
	loc, err := proc.ThreadLocation(th)
	if err != nil {
		s.t.Fatalf("location of thread %d: %v", th.ThreadID(), err)
	}
	if loc.Fn == nil || loc.Fn.Name != fn {
		name := "?"
		if loc.Fn != nil {
			name = loc.Fn.Name
		}
		s.t.Fatalf("thread %d stopped at %#x in %s (%s:%d), want %s (stop reason %v)",
			th.ThreadID(), loc.PC, name, loc.File, loc.Line, fn, s.tgt.StopReason)
	}
	if bp := th.Breakpoint().Breakpoint; bp == nil || bp.Addr != loc.PC {
		s.t.Errorf("thread %d at %#x in %s does not report the breakpoint there (%v)", th.ThreadID(), loc.PC, fn, bp)
	}
}

func (s *jcSession) breakAt(fn string) uint64 {
	s.t.Helper()
	addrs, err := proc.FindFunctionLocation(s.tgt, fn, 0)
	if err != nil || len(addrs) == 0 {
		s.t.Fatalf("FindFunctionLocation(%s): %v %v", fn, addrs, err)
	}
	s.bpID++
	if _, err := s.tgt.SetBreakpoint(s.bpID, addrs[0], proc.UserBreakpoint, nil); err != nil {
		s.t.Fatalf("SetBreakpoint(%s): %v", fn, err)
	}
	return addrs[0]
}

func (s *jcSession) assertJobState(want listenmode.State, sig unix.Signal) {
	s.t.Helper()
	st, got := s.p.JobState()
	if st != want || got != sig {
		s.t.Fatalf("JobState = %v %v, want %v %v", st, unix.SignalName(got), want, unix.SignalName(sig))
	}
}

// assertTracedStopped checks /proc: 't' and traced by us.
func (s *jcSession) assertTracedStopped() {
	s.t.Helper()
	st, tracer, err := testprog.ProcStat(s.job.Pid)
	if err != nil {
		s.t.Fatal(err)
	}
	// TracerPid is the id of the tracer thread: one of ours.
	if _, err := os.Stat(fmt.Sprintf("/proc/self/task/%d", tracer)); st != 't' || tracer == 0 || err != nil {
		s.t.Fatalf("pid %d: state %q tracer %d, want 't' traced by a thread of %d", s.job.Pid, jcStateString(st), tracer, os.Getpid())
	}
}

// jcNextEvent returns the next job-control event, failing after d.
func jcNextEvent(t *testing.T, sub *backend.Subscription, d time.Duration) listenmode.Event {
	t.Helper()
	select {
	case ev, ok := <-sub.C:
		if !ok {
			t.Fatalf("subscription closed while an event was expected")
		}
		return ev
	case <-time.After(d):
		t.Fatalf("no job-control event within %v", d)
	}
	panic("unreachable")
}

func jcExpectEvent(t *testing.T, sub *backend.Subscription, pid int, kind listenmode.EventKind, sig unix.Signal) listenmode.Event {
	t.Helper()
	ev := jcNextEvent(t, sub, jcTimeout)
	if ev.Kind != kind || ev.Pid != pid || (kind == listenmode.GroupStopBegan && ev.Signal != sig) {
		want := listenmode.Event{Kind: kind, Pid: pid, Signal: sig}
		t.Fatalf("event %v, want %v", ev, want)
	}
	return ev
}

// jcNoEvent fails if an event arrives within d.
func jcNoEvent(t *testing.T, sub *backend.Subscription, d time.Duration) {
	t.Helper()
	select {
	case ev, ok := <-sub.C:
		if ok {
			t.Fatalf("unexpected event %v", ev)
		}
		t.Fatalf("subscription closed unexpectedly")
	case <-time.After(d):
	}
}

func jcNoParentEvent(t *testing.T, job *testprog.Job, line string) {
	t.Helper()
	if ev := job.Events(); slices.Contains(ev, line) {
		t.Fatalf("parent saw %q: events %q", line, ev)
	}
}

func jcStateString(s byte) string {
	if s == 0 {
		return "gone"
	}
	return string(s)
}

// jcIgnores reports whether pid ignores sig (SigIgn in /proc/PID/status).
func jcIgnores(t *testing.T, pid int, sig syscall.Signal) bool {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "SigIgn:"); ok {
			mask, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			if err != nil {
				t.Fatalf("SigIgn %q: %v", v, err)
			}
			return mask&(1<<(uint(sig)-1)) != 0
		}
	}
	t.Fatalf("no SigIgn in /proc/%d/status", pid)
	return false
}

// jcWaitAllTasks waits until every thread of pid is in state want and
// untraced.
func jcWaitAllTasks(t *testing.T, pid int, want byte) {
	t.Helper()
	deadline := time.Now().Add(jcTimeout)
	for {
		ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
		if err != nil {
			t.Fatal(err)
		}
		var bad []string
		for _, e := range ents {
			tid, _ := strconv.Atoi(e.Name())
			// ProcStat reads /proc/TID/stat and status: per thread.
			st, tracer, err := testprog.ProcStat(tid)
			if err == nil && (st != want || tracer != 0) {
				bad = append(bad, fmt.Sprintf("%d:%s/tracer %d", tid, jcStateString(st), tracer))
			}
		}
		if len(bad) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("pid %d: threads not %q and untraced after %v: %v", pid, want, jcTimeout, bad)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// jcStopBeforeAttach stops job with sig and waits until its parent saw it
// and /proc shows it stopped.
func jcStopBeforeAttach(t *testing.T, job *testprog.Job, sig syscall.Signal, name string) {
	t.Helper()
	job.Signal(t, sig)
	job.WaitEvent(t, "stopped "+name, jcTimeout)
	job.WaitState(t, 'T', jcTimeout)
}

// Scenario 2: attach to a stopped program; continue listens; SIGCONT ends
// the group-stop and the program runs to a breakpoint.
func TestJCAttachToStopped(t *testing.T) {
	for _, tc := range []struct {
		name string
		sig  syscall.Signal
	}{
		{"SIGSTOP", syscall.SIGSTOP},
		{"SIGTSTP", syscall.SIGTSTP},
	} {
		t.Run(tc.name, func(t *testing.T) {
			job := testprog.Start(t, "counter")
			jcStopBeforeAttach(t, job, tc.sig, tc.name)

			s := jcAttach(t, job)
			sub := s.p.Subscribe()
			defer sub.Close()
			s.assertJobState(listenmode.StateStopped, unix.Signal(tc.sig))
			s.assertTracedStopped()
			jcNoParentEvent(t, job, "continued")

			bp := s.breakAt("main.tick")
			c := s.continueAsync()
			job.AssertFrozen(t, jcFrozen)
			c.assertRunning("while group-stopped")
			s.assertTracedStopped()
			s.assertJobState(listenmode.StateStopped, unix.Signal(tc.sig))
			jcNoParentEvent(t, job, "continued")

			job.Signal(t, syscall.SIGCONT)
			jcExpectEvent(t, sub, job.Pid, listenmode.GroupStopEnded, 0)
			c.atBreakpoint("main.tick")
			job.WaitEvent(t, "continued", jcTimeout)
			s.assertJobState(listenmode.StateRunning, 0)

			// And it goes on running from the breakpoint.
			if err := s.tgt.ClearBreakpoint(bp); err != nil {
				t.Fatal(err)
			}
			c = s.continueAsync()
			job.WaitAdvance(t, jcTimeout)
			c.halt()
		})
	}
}

// Scenario 3: a group-stop while continuing is listened to; a halt while
// stopped shows goroutines and stacks and keeps it stopped; a second
// continue listens; SIGCONT runs it to a breakpoint.
func TestJCStopWhileContinuing(t *testing.T) {
	job := testprog.Start(t, "counter")
	s := jcAttach(t, job)
	sub := s.p.Subscribe()
	defer sub.Close()
	s.assertJobState(listenmode.StateRunning, 0)

	s.breakAt("main.main") // already past it: never hit
	c := s.continueAsync()
	job.WaitAdvance(t, jcTimeout)

	job.Signal(t, syscall.SIGTSTP)
	jcExpectEvent(t, sub, job.Pid, listenmode.GroupStopBegan, unix.SIGTSTP)
	job.WaitEvent(t, "stopped SIGTSTP", jcTimeout)
	c.assertRunning("group-stop while continuing")
	s.assertJobState(listenmode.StateStopped, unix.SIGTSTP)
	job.WaitState(t, 't', jcTimeout)

	c.halt()
	s.assertJobState(listenmode.StateStopped, unix.SIGTSTP)
	gs, _, err := proc.GoroutinesInfo(s.tgt, 0, 0)
	if err != nil {
		t.Fatalf("GoroutinesInfo: %v", err)
	}
	var sawMain bool
	var stackErrs int
	for _, g := range gs {
		frames, err := proc.GoroutineStacktrace(s.tgt, g, 20, 0)
		if err != nil {
			stackErrs++
			continue
		}
		for _, f := range frames {
			if f.Call.Fn != nil && f.Call.Fn.Name == "main.main" {
				sawMain = true
			}
		}
	}
	if !sawMain {
		t.Fatalf("no goroutine of %d has main.main in its stack (%d stack errors)", len(gs), stackErrs)
	}
	t.Logf("%d goroutines readable while stopped", len(gs))
	job.AssertFrozen(t, 300*time.Millisecond)

	s.breakAt("main.tick")
	c = s.continueAsync()
	job.AssertFrozen(t, jcFrozen)
	c.assertRunning("second continue while stopped")
	jcNoParentEvent(t, job, "continued")
	s.assertTracedStopped()

	job.Signal(t, syscall.SIGCONT)
	jcExpectEvent(t, sub, job.Pid, listenmode.GroupStopEnded, 0)
	c.atBreakpoint("main.tick")
	job.WaitEvent(t, "continued", jcTimeout)
	s.assertJobState(listenmode.StateRunning, 0)
	jcNoEvent(t, sub, 50*time.Millisecond)
}

// Scenario 4: detach while group-stopped leaves the program stopped and
// untraced, with no breakpoint left: SIGCONT lets it run to a clean exit.
func TestJCDetachWhileStopped(t *testing.T) {
	check := func(t *testing.T, job *testprog.Job, iterations int64) {
		t.Helper()
		// PTRACE_DETACH wakes a group-stopped thread, which re-enters
		// the group-stop on its own (JOBCTL_STOP_PENDING): /proc may show
		// 'R' for a moment, in the kernel, before 'T'.
		job.WaitState(t, 'T', jcTimeout)
		jcWaitAllTasks(t, job.Pid, 'T')
		st, tracer, err := testprog.ProcStat(job.Pid)
		if err != nil || st != 'T' || tracer != 0 {
			t.Fatalf("after detach: state %q tracer %d (%v), want 'T' untraced", jcStateString(st), tracer, err)
		}
		job.AssertFrozen(t, 300*time.Millisecond)
		jcNoParentEvent(t, job, "continued")
		if st, _, _ := testprog.ProcStat(job.Pid); st != 'T' {
			t.Fatalf("state %q after the observation window, want 'T'", jcStateString(st))
		}
		job.Signal(t, syscall.SIGCONT)
		job.WaitEvent(t, "continued", jcTimeout)
		// Up to 4000 ticks of 1 ms are left to run: at a load of 20 a tick
		// took 4.6 ms here, so give it a minute (scaled).
		if got := job.WaitExit(t, testprog.Timeout(time.Minute)); got != "exited 0" {
			t.Fatalf("exit = %q, want \"exited 0\" (events %q, output %q)", got, job.Events(), job.Output())
		}
		if n := job.Counter(); n != iterations {
			t.Fatalf("final counter %d, want %d", n, iterations)
		}
	}

	t.Run("attached-while-stopped", func(t *testing.T) {
		job := testprog.Start(t, "counter", "-iterations", "300")
		jcStopBeforeAttach(t, job, syscall.SIGSTOP, "SIGSTOP")
		s := jcAttach(t, job)
		s.breakAt("main.tick")
		s.breakAt("main.helper")
		c := s.continueAsync() // listening threads must be taken back for detach
		job.AssertFrozen(t, 200*time.Millisecond)
		c.halt()
		if err := s.grp.Detach(false); err != nil {
			t.Fatalf("detach: %v", err)
		}
		check(t, job, 300)
	})

	// Release after a halt: the backend itself must remove the
	// breakpoints proc still has planted, and take back no signal. (Release
	// concurrent with a running Continue: TestJCReleaseDuringContinue.)
	t.Run("release-after-halt", func(t *testing.T) {
		job := testprog.Start(t, "counter", "-iterations", "300")
		jcStopBeforeAttach(t, job, syscall.SIGSTOP, "SIGSTOP")
		s := jcAttach(t, job)
		s.breakAt("main.tick")
		s.breakAt("main.helper")
		c := s.continueAsync()
		job.AssertFrozen(t, 200*time.Millisecond)
		c.halt()
		s.p.Release()
		if ok, err := s.tgt.Valid(); ok || !errors.Is(err, proc.ErrProcessDetached) {
			t.Fatalf("Valid after Release = %v, %v; want false, %v", ok, err, proc.ErrProcessDetached)
		}
		check(t, job, 300)
	})

	t.Run("stopped-while-continuing", func(t *testing.T) {
		// 4 s of life: an attach under load (or -race) takes over 1 s.
		job := testprog.Start(t, "counter", "-iterations", "4000")
		s := jcAttach(t, job)
		sub := s.p.Subscribe()
		defer sub.Close()
		s.breakAt("main.main")
		c := s.continueAsync()
		job.Signal(t, syscall.SIGSTOP)
		jcExpectEvent(t, sub, job.Pid, listenmode.GroupStopBegan, unix.SIGSTOP)
		job.WaitEvent(t, "stopped SIGSTOP", jcTimeout)
		c.halt()
		if n := job.Counter(); n >= 4000 {
			t.Fatalf("counter already at %d: the program finished before it was stopped", n)
		}
		s.breakAt("main.tick")
		if err := s.grp.Detach(false); err != nil {
			t.Fatalf("detach: %v", err)
		}
		check(t, job, 4000)
	})
}

// Scenario 5: halting sends the program no signal.
func TestJCHaltsInjectNoSignal(t *testing.T) {
	job := testprog.Start(t, "notify")
	s := jcAttach(t, job)
	for i := 0; i < 50; i++ {
		c := s.continueAsync()
		c.halt()
	}
	if err := s.grp.Detach(false); err != nil {
		t.Fatalf("detach: %v", err)
	}
	// Let it run ~200 ticks (1 ms period), time enough to log a signal.
	start := job.Counter()
	deadline := time.Now().Add(jcTimeout)
	for job.Counter() < start+200 {
		if time.Now().After(deadline) {
			t.Fatalf("counter went from %d to %d only", start, job.Counter())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if l := job.Log(); len(l) != 0 {
		t.Fatalf("the program received signals: %q", l)
	}
	// The log does record a signal that is sent.
	job.Signal(t, syscall.SIGUSR1)
	deadline = time.Now().Add(jcTimeout)
	for !slices.Equal(job.Log(), []string{"got SIGUSR1"}) {
		if time.Now().After(deadline) {
			t.Fatalf("log %q, want just \"got SIGUSR1\"", job.Log())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Scenario 6: one GroupStopBegan and one GroupStopEnded per group-stop,
// whatever the number of threads, also while threads come and go.
func TestJCManyThreads(t *testing.T) {
	rounds := func(t *testing.T, s *jcSession, sub *backend.Subscription, n int, parent bool) {
		t.Helper()
		var worst time.Duration
		for i := 0; i < n; i++ {
			t0 := time.Now()
			s.job.Signal(t, syscall.SIGSTOP)
			jcExpectEvent(t, sub, s.job.Pid, listenmode.GroupStopBegan, unix.SIGSTOP)
			if parent {
				s.job.WaitEvent(t, "stopped SIGSTOP", jcTimeout)
			}
			s.job.Signal(t, syscall.SIGCONT)
			jcExpectEvent(t, sub, s.job.Pid, listenmode.GroupStopEnded, 0)
			if parent {
				s.job.WaitEvent(t, "continued", jcTimeout)
			}
			s.cont.assertRunning(fmt.Sprintf("round %d", i))
			worst = max(worst, time.Since(t0))
		}
		t.Logf("%d rounds, slowest %v", n, worst)
	}
	waitThreads := func(t *testing.T, job *testprog.Job, n int) {
		deadline := time.Now().Add(jcTimeout)
		for job.Threads() < n {
			if time.Now().After(deadline) {
				t.Fatalf("pid %d has %d threads, want >= %d", job.Pid, job.Threads(), n)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}

	t.Run("50-threads", func(t *testing.T) {
		job := testprog.Start(t, "threads", "-threads", "50")
		waitThreads(t, job, 51)
		s := jcAttach(t, job)
		if n := len(s.tgt.ThreadList()); n < 51 {
			t.Fatalf("backend sees %d threads, want >= 51", n)
		}
		sub := s.p.Subscribe()
		defer sub.Close()
		c := s.continueAsync()
		rounds(t, s, sub, 5, true)
		jcNoEvent(t, sub, 300*time.Millisecond)
		c.halt()
		jcNoEvent(t, sub, 50*time.Millisecond)
		s.assertJobState(listenmode.StateRunning, 0)
	})

	t.Run("churn", func(t *testing.T) {
		job := testprog.Start(t, "threads", "-threads", "50", "-churn")
		waitThreads(t, job, 51)
		s := jcAttach(t, job)
		sub := s.p.Subscribe()
		defer sub.Close()
		c := s.continueAsync()
		rounds(t, s, sub, 100, false)
		jcNoEvent(t, sub, 300*time.Millisecond)
		c.halt()
		s.assertJobState(listenmode.StateRunning, 0)
		if err := s.grp.Detach(false); err != nil {
			t.Fatalf("detach: %v", err)
		}
		if st, tracer, err := testprog.ProcStat(job.Pid); err != nil || tracer != 0 || st == 'T' || st == 't' {
			t.Fatalf("after detach: state %q tracer %d (%v)", jcStateString(st), tracer, err)
		}
		job.WaitAdvance(t, jcTimeout)
		job.WaitAdvance(t, jcTimeout)
	})
}

// Scenario 7: SIGKILL while listening ends Continue at once and closes the
// subscription.
func TestJCKilledWhileListening(t *testing.T) {
	job := testprog.Start(t, "counter")
	s := jcAttach(t, job)
	sub := s.p.Subscribe()
	c := s.continueAsync()
	job.Signal(t, syscall.SIGSTOP)
	jcExpectEvent(t, sub, job.Pid, listenmode.GroupStopBegan, unix.SIGSTOP)
	job.WaitEvent(t, "stopped SIGSTOP", jcTimeout)
	c.assertRunning("listening")

	t0 := time.Now()
	job.Signal(t, syscall.SIGKILL)
	err := c.wait(testprog.Timeout(2 * time.Second))
	var exited proc.ErrProcessExited
	if !errors.As(err, &exited) {
		t.Fatalf("Continue = %v (%T), want proc.ErrProcessExited", err, err)
	}
	if exited.Pid != job.Pid {
		t.Errorf("ErrProcessExited.Pid = %d, want %d", exited.Pid, job.Pid)
	}
	t.Logf("Continue returned %v after %v", err, time.Since(t0))
	deadline := time.After(testprog.Timeout(2 * time.Second))
	for {
		select {
		case ev, ok := <-sub.C:
			if !ok {
				if got := job.WaitExit(t, jcTimeout); got != "signaled SIGKILL" {
					t.Fatalf("parent saw %q, want \"signaled SIGKILL\"", got)
				}
				return
			}
			t.Fatalf("event after SIGKILL: %v", ev)
		case <-deadline:
			t.Fatalf("subscription not closed 2s after the process died")
		}
	}
}

// Scenario 8: a program that handles SIGTSTP itself does not stop, and no
// group-stop is reported.
func TestJCHandledTSTP(t *testing.T) {
	job := testprog.Start(t, "tstp")
	s := jcAttach(t, job)
	sub := s.p.Subscribe()
	defer sub.Close()
	c := s.continueAsync()
	job.Signal(t, syscall.SIGTSTP)
	deadline := time.Now().Add(jcTimeout)
	for !slices.Contains(job.Log(), "got SIGTSTP") {
		if time.Now().After(deadline) {
			t.Fatalf("log %q lacks \"got SIGTSTP\"", job.Log())
		}
		time.Sleep(5 * time.Millisecond)
	}
	job.WaitAdvance(t, jcTimeout)
	job.WaitAdvance(t, jcTimeout)
	jcNoEvent(t, sub, 500*time.Millisecond)
	s.assertJobState(listenmode.StateRunning, 0)
	c.assertRunning("after a handled SIGTSTP")
	for _, e := range job.Events() {
		if strings.HasPrefix(e, "stopped") {
			t.Fatalf("parent saw a stop: %q", job.Events())
		}
	}
	c.halt()
}

// PolicyReport: a group-stop while continuing ends Continue as a manual
// stop; the next Continue listens until SIGCONT.
func TestJCPolicyReport(t *testing.T) {
	job := testprog.Start(t, "counter")
	s := jcAttach(t, job)
	s.p.SetGroupStopPolicy(listenmode.PolicyReport)
	if got := s.p.GroupStopPolicy(); got != listenmode.PolicyReport {
		t.Fatalf("GroupStopPolicy = %v", got)
	}
	sub := s.p.Subscribe()
	defer sub.Close()
	c := s.continueAsync()
	job.WaitAdvance(t, jcTimeout)

	job.Signal(t, syscall.SIGSTOP)
	if err := c.wait(jcTimeout); err != nil {
		t.Fatalf("Continue: %v", err)
	}
	if r := s.tgt.StopReason; r != proc.StopManual {
		t.Fatalf("stop reason %v, want %v", r, proc.StopManual)
	}
	jcExpectEvent(t, sub, job.Pid, listenmode.GroupStopBegan, unix.SIGSTOP)
	s.assertJobState(listenmode.StateStopped, unix.SIGSTOP)
	job.WaitEvent(t, "stopped SIGSTOP", jcTimeout)
	s.assertTracedStopped()
	job.AssertFrozen(t, 300*time.Millisecond)

	s.breakAt("main.tick")
	c = s.continueAsync()
	job.AssertFrozen(t, jcFrozen)
	c.assertRunning("continue under PolicyReport while stopped")
	jcNoParentEvent(t, job, "continued")

	job.Signal(t, syscall.SIGCONT)
	jcExpectEvent(t, sub, job.Pid, listenmode.GroupStopEnded, 0)
	c.atBreakpoint("main.tick")
	s.assertJobState(listenmode.StateRunning, 0)
	job.WaitEvent(t, "continued", jcTimeout)
}

// Release from another goroutine while Continue listens, as documented
// ("even while another goroutine waits in Continue"): Continue returns
// proc.ErrProcessDetached, the program stays stopped with no breakpoint
// left, and runs after SIGCONT.
//
// Release's detach once deleted from proc's BreakpointMap while proc's
// Continue goroutine iterated it ("concurrent map iteration and map
// write"); the backend now keeps its own record of what it planted. Many
// rounds, because the race was rare.
func TestJCReleaseDuringContinue(t *testing.T) {
	for i := 0; i < 20; i++ {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			job := testprog.Start(t, "counter")
			jcStopBeforeAttach(t, job, syscall.SIGSTOP, "SIGSTOP")
			s := jcAttach(t, job)
			s.breakAt("main.tick")
			s.breakAt("main.helper")
			s.breakAt("main.writeCounter")
			c := s.continueAsync()
			s.p.Release()
			if err := c.wait(jcTimeout); !errors.Is(err, proc.ErrProcessDetached) {
				t.Fatalf("Continue after Release = %v, want %v", err, proc.ErrProcessDetached)
			}
			job.WaitState(t, 'T', jcTimeout)
			jcWaitAllTasks(t, job.Pid, 'T')
			jcNoParentEvent(t, job, "continued")
			job.Signal(t, syscall.SIGCONT)
			job.WaitEvent(t, "continued", jcTimeout)
			job.WaitAdvance(t, jcTimeout)
			job.WaitAdvance(t, jcTimeout)
			for _, e := range job.Events() {
				if strings.HasPrefix(e, "signaled") || strings.HasPrefix(e, "exited") {
					t.Fatalf("program ended: %q", job.Events())
				}
			}
		})
	}
}

// A SIGCONT sent while the debugger holds every thread (halted at the
// prompt) is learned by ProbeJobState without running the program: the
// event arrives, JobState says running, and the counter stays frozen until
// the next continue.
func TestJCProbeAfterSigcontWhileHeld(t *testing.T) {
	job := testprog.Start(t, "counter")
	job.Signal(t, syscall.SIGSTOP)
	job.WaitEvent(t, "stopped SIGSTOP", jcTimeout)
	grp := attach(t, job.Pid)
	p, _ := backend.Of(grp)
	sub := p.Subscribe()
	defer sub.Close()
	if st, _ := p.JobState(); st != listenmode.StateStopped {
		t.Fatalf("job state %v after attach, want stopped", st)
	}
	// kill(2) applies SIGCONT before it returns (prepare_signal); the real
	// parent hears of it only when a thread next runs get_signal, which
	// held threads do not.
	job.Signal(t, syscall.SIGCONT)
	if err := p.ProbeJobState(); err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-sub.C:
		if ev.Kind != listenmode.GroupStopEnded {
			t.Fatalf("event %v, want group-stop ended", ev)
		}
	case <-time.After(jcTimeout):
		t.Fatal("no event after the probe")
	}
	if st, _ := p.JobState(); st != listenmode.StateRunning {
		t.Fatalf("job state %v after the probe, want running", st)
	}
	job.AssertFrozen(t, 300*time.Millisecond)
	// Held and still stopped when no SIGCONT came: the probe changes nothing.
	job2 := testprog.Start(t, "counter")
	job2.Signal(t, syscall.SIGTSTP)
	job2.WaitEvent(t, "stopped SIGTSTP", jcTimeout)
	grp2 := attach(t, job2.Pid)
	p2, _ := backend.Of(grp2)
	if err := p2.ProbeJobState(); err != nil {
		t.Fatal(err)
	}
	if st, sig := p2.JobState(); st != listenmode.StateStopped || sig != unix.SIGTSTP {
		t.Fatalf("job state %v %v after the probe, want stopped by SIGTSTP", st, sig)
	}
	if err := grp2.Detach(false); err != nil {
		t.Fatal(err)
	}
	job2.WaitState(t, 'T', jcTimeout)
	job2.AssertFrozen(t, 300*time.Millisecond)
}

// Halting a continue that listens to a stopped process leaves threads
// inside blocking system calls (futex waits), to be restarted when they
// resume. Next must then not hang the debugger, before and after SIGCONT.
//
// Where the current thread stands then is the kernel's choice, per
// architecture (syscallPCRewoundAtStop):
//   - amd64: its PC is just past the syscall instruction, on another line
//     than the instruction, so next plants a breakpoint on the syscall
//     instruction, which the restart meets at once: next returns without
//     waiting for the call. (This once single-stepped the restarted
//     syscall and blocked in wait4 for good.)
//   - arm64: its PC is on the SVC itself, whose line is the current one:
//     next executes the system call and returns when the call does, and a
//     futex wait of an idle thread may never end. There, a halt must end
//     the next at once, and a single instruction step must step over the
//     SVC without waiting for the call (the backend stops it at syscall
//     entry).
func TestJCNextAfterHaltInSyscall(t *testing.T) {
	for i := 0; i < 5; i++ {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			job := testprog.Start(t, "counter")
			job.Signal(t, syscall.SIGSTOP)
			job.WaitEvent(t, "stopped SIGSTOP", jcTimeout)
			grp := attach(t, job.Pid)
			if err := haltAndWait(t, grp, continueAsync(grp)); err != nil {
				t.Fatal(err)
			}
			job.Signal(t, syscall.SIGCONT)
			pc, atSyscall := currentPCAtSyscall(t, grp, job.Pid)
			t.Logf("current thread at %#x, on the system call instruction (arm64) or past it (amd64): %v", pc, atSyscall)
			done := make(chan error, 1)
			go func() { done <- grp.Next() }()
			if !atSyscall || !syscallPCRewoundAtStop {
				select {
				case err := <-done:
					t.Logf("next: %v", err)
				case <-time.After(jcTimeout):
					haltHungNext(t, grp, done)
				}
				return
			}
			// arm64: next waits for the system call, for as long as
			// it blocks.
			select {
			case err := <-done:
				t.Logf("next (the system call returned): %v", err)
				return
			case <-time.After(jcFrozen):
			}
			if err := grp.RequestManualStop(); err != nil {
				t.Fatal(err)
			}
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("next ended by a halt: %v", err)
				}
			case <-time.After(jcTimeout):
				t.Fatal("next waiting in a system call: a halt did not end it")
			}
			if pc, atSyscall = currentPCAtSyscall(t, grp, job.Pid); !atSyscall {
				return // the call returned just before the halt
			}
			stepped := make(chan error, 1)
			go func() { stepped <- grp.StepInstruction(false) }()
			select {
			case err := <-stepped:
				if err != nil {
					t.Fatalf("step over the SVC at %#x: %v", pc, err)
				}
			case <-time.After(jcTimeout):
				haltHungNext(t, grp, stepped)
			}
			regs, err := grp.Selected.CurrentThread().Registers()
			if err != nil {
				t.Fatal(err)
			}
			if want := pc + uint64(len(syscallInstr)); regs.PC() != want {
				t.Fatalf("after a step over the SVC at %#x the thread is at %#x, want %#x", pc, regs.PC(), want)
			}
		})
	}
}

// currentPCAtSyscall returns the current thread's PC and whether it stopped
// inside a system call to be restarted: on or just past the syscall
// instruction, as syscallPCRewoundAtStop says.
func currentPCAtSyscall(t *testing.T, grp *proc.TargetGroup, pid int) (uint64, bool) {
	t.Helper()
	regs, err := grp.Selected.CurrentThread().Registers()
	if err != nil {
		t.Fatal(err)
	}
	at := regs.PC()
	if !syscallPCRewoundAtStop {
		at -= uint64(len(syscallInstr))
	}
	return regs.PC(), string(memAt(t, pid, at, len(syscallInstr))) == string(syscallInstr)
}

// haltHungNext fails the test after a next or step that did not return,
// saying whether a halt ended it.
func haltHungNext(t *testing.T, grp *proc.TargetGroup, done <-chan error) {
	t.Helper()
	_ = grp.RequestManualStop()
	select {
	case err := <-done:
		t.Fatalf("hung until halted (then: %v)", err)
	case <-time.After(jcTimeout):
		t.Fatal("hung, and a halt did not end it")
	}
}

// A SIGCONT sent while the debugger holds a stopped process and nothing is
// asked of it (a user at the prompt) is reported when it comes, not at the
// next command: the idle tracer has parked the stopped threads with
// PTRACE_LISTEN. The program still does not run until the debugger
// continues it, and the threads are held again for the next request.
func TestJCSigcontWhileIdleIsReported(t *testing.T) {
	for _, tc := range []struct {
		name string
		sig  syscall.Signal
	}{
		{"SIGSTOP", syscall.SIGSTOP},
		{"SIGTSTP", syscall.SIGTSTP},
	} {
		t.Run(tc.name, func(t *testing.T) {
			job := testprog.Start(t, "counter")
			jcStopBeforeAttach(t, job, tc.sig, tc.name)
			s := jcAttach(t, job)
			sub := s.p.Subscribe()
			defer sub.Close()
			s.assertJobState(listenmode.StateStopped, unix.Signal(tc.sig))

			job.Signal(t, syscall.SIGCONT)
			jcExpectEvent(t, sub, job.Pid, listenmode.GroupStopEnded, 0)
			s.assertJobState(listenmode.StateRunning, 0)
			job.AssertFrozen(t, jcFrozen)

			// Every thread answers at once, as before the park.
			for _, th := range s.tgt.ThreadList() {
				if _, err := th.Registers(); err != nil {
					t.Fatalf("registers of thread %d after the SIGCONT: %v", th.ThreadID(), err)
				}
			}
			s.breakAt("main.tick")
			c := s.continueAsync()
			c.atBreakpoint("main.tick")
			job.WaitEvent(t, "continued", jcTimeout)
		})
	}
}

// The park itself changes nothing a command sees: a process held while
// stopped, left idle longer than the park delay, still has every thread
// held with its registers, a stop that stays stopped after a probe, and
// no event.
func TestJCIdleParkIsInvisible(t *testing.T) {
	job := testprog.Start(t, "counter")
	jcStopBeforeAttach(t, job, syscall.SIGTSTP, "SIGTSTP")
	s := jcAttach(t, job)
	sub := s.p.Subscribe()
	defer sub.Close()
	for round := 0; round < 5; round++ {
		jcNoEvent(t, sub, 100*time.Millisecond) // longer than the park delay
		for _, th := range s.tgt.ThreadList() {
			if _, err := th.Registers(); err != nil {
				t.Fatalf("round %d: registers of thread %d: %v", round, th.ThreadID(), err)
			}
		}
		if err := s.p.ProbeJobState(); err != nil {
			t.Fatal(err)
		}
		s.assertJobState(listenmode.StateStopped, unix.SIGTSTP)
		s.assertTracedStopped()
	}
	jcNoParentEvent(t, job, "continued")
}
