package backend_test

// Follow-exec: children the debuggee starts with os/exec, run by the
// spawner test program. A child runs main.childWork, which the parent never
// runs, and exits with status 3; the spawner reaps each and prints how it
// ended, so a child that died of a breakpoint it carried, or was left
// stopped, shows in its output. Breakpoints on a child's functions are made
// as Delve's session layer makes a suspended one (a logical breakpoint by
// function name, enabled in each process that has the function, kept when
// none has it yet): proc enables it in each new target.

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-delve/delve/pkg/proc"

	"github.com/dlv-listen/dlv-listen/backend"
	"github.com/dlv-listen/dlv-listen/internal/testprog"
)

// feTimeout bounds a continue that includes a child's exec: the new target's
// debug information is loaded before it runs (hundreds of milliseconds on a
// loaded machine).
var feTimeout = testprog.Timeout(30 * time.Second)

// spawnerChildRe is the spawner's line for a child it reaped: "child N pid
// PID exit S", "child N pid PID signal NAME", "child N error ...".
var spawnerChildRe = regexp.MustCompile(`(?m)^child (\d+) (?:pid (\d+) )?((?:exit|signal|status|error) .*)$`)

// spawnedChild is one child the spawner reaped.
type spawnedChild struct {
	N, Pid int
	End    string // "exit 3", "signal trace/breakpoint trap", ...
}

// spawnerChildren parses the spawner's output: the children it reaped,
// by child number (a number seen twice is reported by doubled).
func spawnerChildren(output string) (byN map[int]spawnedChild, doubled []int) {
	byN = map[int]spawnedChild{}
	for _, m := range spawnerChildRe.FindAllStringSubmatch(output, -1) {
		n, _ := strconv.Atoi(m[1])
		pid, _ := strconv.Atoi(m[2])
		if _, ok := byN[n]; ok {
			doubled = append(doubled, n)
		}
		byN[n] = spawnedChild{N: n, Pid: pid, End: m[3]}
	}
	return byN, doubled
}

// checkSpawnerChildren fails unless the spawner reported each child from
// first to last exactly once, ending with want.
func checkSpawnerChildren(t *testing.T, job *testprog.Job, first, last int, want string) {
	t.Helper()
	byN, doubled := spawnerChildren(job.Output())
	if len(doubled) > 0 {
		t.Errorf("children reported twice: %v", doubled)
	}
	var bad []string
	for n := first; n <= last; n++ {
		c, ok := byN[n]
		switch {
		case !ok:
			bad = append(bad, fmt.Sprintf("child %d: not reported", n))
		case c.End != want:
			bad = append(bad, fmt.Sprintf("child %d (pid %d): %s", n, c.Pid, c.End))
		}
	}
	if len(bad) > 0 {
		t.Fatalf("%d of children %d..%d did not end with %q: %q", len(bad), first, last, want, bad)
	}
}

// waitSpawnerChild waits until the spawner has reported child n.
func waitSpawnerChild(t *testing.T, job *testprog.Job, n int) {
	t.Helper()
	deadline := time.Now().Add(feTimeout)
	for {
		if byN, _ := spawnerChildren(job.Output()); byN[n].End != "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the spawner did not report child %d within %v; output:\n%s", n, feTimeout, tail(job.Output(), 3000))
		}
		time.Sleep(time.Millisecond)
	}
}

// waitSpawnerPid waits until the spawner has reported the child with pid
// and returns its number.
func waitSpawnerPid(t *testing.T, job *testprog.Job, pid int) int {
	t.Helper()
	deadline := time.Now().Add(feTimeout)
	for {
		byN, _ := spawnerChildren(job.Output())
		for n, c := range byN {
			if c.Pid == pid {
				return n
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the spawner did not report child %d within %v; output:\n%s", pid, feTimeout, tail(job.Output(), 3000))
		}
		time.Sleep(time.Millisecond)
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

// feSession is a backend session on a spawner, recording proc's events.
type feSession struct {
	*jcSession
	mu     sync.Mutex
	events []proc.Event
}

// feAttach attaches to job, records proc's events and, if follow, turns
// follow-exec on with regex.
func feAttach(t *testing.T, job *testprog.Job, follow bool, regex string) *feSession {
	t.Helper()
	s := &feSession{jcSession: jcAttach(t, job)}
	s.grp.SetEventsFn(func(e *proc.Event) {
		s.mu.Lock()
		s.events = append(s.events, *e)
		s.mu.Unlock()
	})
	if follow {
		if err := backend.FollowExec(s.grp, true, regex); err != nil {
			t.Fatalf("FollowExec(true, %q): %v", regex, err)
		}
	}
	return s
}

// spawned returns the EventProcessSpawned events so far.
func (s *feSession) spawned() []proc.ProcessSpawnedEventDetails {
	s.mu.Lock()
	defer s.mu.Unlock()
	var r []proc.ProcessSpawnedEventDetails
	for _, e := range s.events {
		if e.Kind == proc.EventProcessSpawned && e.ProcessSpawnedEventDetails != nil {
			r = append(r, *e.ProcessSpawnedEventDetails)
		}
	}
	return r
}

// materialized counts the EventBreakpointMaterialized events of breakpoint id.
func (s *feSession) materialized(id int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, e := range s.events {
		if e.Kind == proc.EventBreakpointMaterialized && e.BreakpointMaterializedEventDetails != nil &&
			e.Breakpoint != nil && e.Breakpoint.LogicalID == id {
			n++
		}
	}
	return n
}

// suspendedBreak creates logical breakpoint id on function fn as Delve's
// session layer does for a breakpoint created with suspended=true: enabled
// in every process that has fn, kept without an address (suspended) when
// none has it, and enabled by proc in each target that joins later. It
// returns the breakpoint and whether it is suspended now.
func suspendedBreak(t testing.TB, grp *proc.TargetGroup, id int, fn string) (*proc.LogicalBreakpoint, bool) {
	t.Helper()
	lbp := &proc.LogicalBreakpoint{LogicalID: id, HitCount: map[int64]uint64{}, Set: proc.SetBreakpoint{FunctionName: fn}}
	grp.LogicalBreakpoints[id] = lbp
	err := grp.SetBreakpointEnabled(lbp, true)
	switch err.(type) {
	case nil:
		return lbp, false
	case *proc.ErrFunctionNotFound:
		return lbp, true
	}
	t.Fatalf("breakpoint %d on %s: %v", id, fn, err)
	return nil, false
}

// stopFn is where the selected target of grp stopped: the target and its
// function's name, failing unless it stopped on one of our breakpoints.
func stopFn(t testing.TB, grp *proc.TargetGroup) (*proc.Target, string) {
	t.Helper()
	tgt := grp.Selected
	th := tgt.CurrentThread()
	loc, err := proc.ThreadLocation(th)
	if err != nil {
		t.Fatalf("process %d: location of thread %d: %v", tgt.Pid(), th.ThreadID(), err)
	}
	if loc.Fn == nil {
		t.Fatalf("process %d thread %d stopped at %#x, in no function (stop reason %v)", tgt.Pid(), th.ThreadID(), loc.PC, tgt.StopReason)
	}
	if bp := th.Breakpoint().Breakpoint; bp == nil || bp.Addr != loc.PC {
		t.Fatalf("process %d thread %d stopped at %#x in %s without a breakpoint there (stop reason %v)",
			tgt.Pid(), th.ThreadID(), loc.PC, loc.Fn.Name, tgt.StopReason)
	}
	return tgt, loc.Fn.Name
}

// toStop continues and returns where the group stopped, within feTimeout.
func (s *feSession) toStop(t *testing.T) (*proc.Target, string) {
	t.Helper()
	if err := s.continueAsync().wait(feTimeout); err != nil {
		t.Fatalf("continue: %v; spawner output:\n%s", err, tail(s.job.Output(), 2000))
	}
	return stopFn(t, s.grp)
}

// validProcesses lists the pids of the group's processes still debugged.
func validProcesses(grp *proc.TargetGroup) []int {
	var r []int
	for _, p := range backend.Processes(grp) {
		if ok, _ := p.Valid(); ok {
			r = append(r, p.Pid())
		}
	}
	return r
}

// validTargets lists the pids of proc's valid targets.
func validTargets(grp *proc.TargetGroup) []int {
	var r []int
	it := proc.ValidTargets{Group: grp}
	for it.Next() {
		r = append(r, it.Pid())
	}
	return r
}

// parentRounds continues k times, each stop at main.round in the parent,
// in consecutive rounds, with no child a target; it returns the first round.
func (s *feSession) parentRounds(t *testing.T, k int) int {
	t.Helper()
	first := 0
	for i := 0; i < k; i++ {
		tgt, fn := s.toStop(t)
		if fn != "main.round" || tgt.Pid() != s.job.Pid {
			t.Fatalf("stop %d: in %s of process %d, want main.round in the parent %d", i, fn, tgt.Pid(), s.job.Pid)
		}
		n := int(evalInt(t, tgt, "n"))
		if i == 0 {
			first = n
		} else if n != first+i {
			t.Fatalf("stop %d: round %d, want %d", i, n, first+i)
		}
		if ts := validTargets(s.grp); len(ts) != 1 {
			t.Fatalf("stop %d: targets %v, want the parent only", i, ts)
		}
	}
	return first
}

// detachAndCheck detaches and checks the spawner's children first..last
// ended with want and none is left traced.
func (s *feSession) detachAndCheck(t *testing.T, first, last int, want string) {
	t.Helper()
	if err := s.grp.Detach(false); err != nil {
		t.Fatalf("detach: %v", err)
	}
	waitSpawnerChild(t, s.job, last)
	checkSpawnerChildren(t, s.job, first, last, want)
	if traced := tracedChildren(s.job.Pid); len(traced) > 0 {
		t.Errorf("children still traced after detach: %v", traced)
	}
}

// A breakpoint on a function only children run stops in a child, which is
// a target of its own: its variables are the child's, it is traced by us
// and announced; continued, it runs to its end and exits with status 3;
// the detach lets every process go.
func TestFollowExecBreakpointInChild(t *testing.T) {
	job := testprog.Start(t, "spawner", "-period", "20ms")
	s := feAttach(t, job, true, "")
	lbp, _ := suspendedBreak(t, s.grp, 1, "main.childWork")
	seen := map[int]bool{}
	var last int
	for i := 0; i < 3; i++ {
		tgt, fn := s.toStop(t)
		if fn != "main.childWork" || tgt.Pid() == job.Pid {
			t.Fatalf("stop %d: in %s of process %d, want main.childWork in a child of %d", i, fn, tgt.Pid(), job.Pid)
		}
		child := tgt.Pid()
		if seen[child] {
			t.Fatalf("stop %d: child %d stopped twice at main.childWork", i, child)
		}
		seen[child] = true
		n := int(evalInt(t, tgt, "n"))
		if last != 0 && n != last+1 {
			t.Fatalf("stop %d: child %d has n = %d, want %d (one stop per child)", i, child, n, last+1)
		}
		last = n
		if !strings.Contains(tgt.CmdLine, "child "+strconv.Itoa(n)) {
			t.Errorf("child %d: command line %q, want it to say \"child %d\"", child, tgt.CmdLine, n)
		}
		if _, tracer, err := testprog.ProcStat(child); err != nil || tracer == 0 {
			t.Errorf("child %d stopped at its breakpoint: tracer %d, %v; want traced", child, tracer, err)
		}
		if !slicesContains(validProcesses(s.grp), child) || !slicesContains(validTargets(s.grp), child) {
			t.Errorf("child %d: not among the processes %v or targets %v of the session", child, validProcesses(s.grp), validTargets(s.grp))
		}
		var ev *proc.ProcessSpawnedEventDetails
		for _, e := range s.spawned() {
			if e.PID == child {
				ev = &e
			}
		}
		if ev == nil || !ev.WillFollow {
			t.Errorf("child %d: spawned event %+v, want one with WillFollow", child, ev)
		}
		if ps := backend.Processes(s.grp); len(ps) == 0 || ps[0].Pid() != job.Pid {
			t.Errorf("Processes: the first is not the attached process %d", job.Pid)
		}
	}
	if lbp.TotalHitCount != 3 {
		t.Errorf("breakpoint hit count %d after 3 stops in 3 children", lbp.TotalHitCount)
	}
	if err := s.grp.Detach(false); err != nil {
		t.Fatalf("detach: %v", err)
	}
	waitSpawnerChild(t, job, last+2)
	checkSpawnerChildren(t, job, last-2, last+2, "exit 3")
	if traced := tracedChildren(job.Pid); len(traced) > 0 {
		t.Errorf("children still traced after detach: %v", traced)
	}
}

func slicesContains(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// A breakpoint on a function the parent does not have (its children run
// another Go program, the counter) is suspended, then materializes in each
// child, with proc's event, and stops there.
func TestFollowExecSuspendedBreakpointMaterializes(t *testing.T) {
	counterBin := testprog.Build(t, "counter")
	out := filepath.Join(t.TempDir(), "child-counter")
	job := testprog.Start(t, "spawner", "-period", "20ms", "-exec", counterBin, "--",
		"-out", out, "-iterations", "2", "-workers", "0")
	s := feAttach(t, job, true, "")
	lbp, suspended := suspendedBreak(t, s.grp, 1, "main.tick")
	if !suspended {
		t.Fatalf("main.tick: set in the spawner %d, which has no such function", job.Pid)
	}
	var first int
	for i := 0; i < 4; i++ { // two children, two ticks each
		tgt, fn := s.toStop(t)
		if fn != "main.tick" || tgt.Pid() == job.Pid {
			t.Fatalf("stop %d: in %s of process %d, want main.tick in a child", i, fn, tgt.Pid())
		}
		if i == 0 {
			first = tgt.Pid()
		}
		if n := evalInt(t, tgt, "n"); n != int64(i%2+1) {
			t.Fatalf("stop %d in child %d: n = %d, want %d", i, tgt.Pid(), n, i%2+1)
		}
		if (i < 2) != (tgt.Pid() == first) {
			t.Fatalf("stop %d in child %d: want the first child %d for stops 0 and 1 only", i, tgt.Pid(), first)
		}
		if got := s.materialized(1); got < 1 {
			t.Errorf("stop %d: no breakpoint-materialized event", i)
		}
	}
	if lbp.TotalHitCount != 4 {
		t.Errorf("hit count %d after 4 stops", lbp.TotalHitCount)
	}
	if err := s.grp.Detach(false); err != nil {
		t.Fatalf("detach: %v", err)
	}
	firstN := waitSpawnerPid(t, job, first)
	waitSpawnerChild(t, job, firstN+2)
	checkSpawnerChildren(t, job, firstN, firstN+2, "exit 0")
}

// A regex that matches no child: every child is let go at its exec, runs
// to its end; no child becomes a target.
func TestFollowExecRegexNoMatch(t *testing.T) {
	job := testprog.Start(t, "spawner", "-period", "5ms")
	s := feAttach(t, job, true, `^no such program$`)
	s.breakAt("main.round")
	suspendedBreak(t, s.grp, 10, "main.childWork")
	first := s.parentRounds(t, 6)
	if ps := validProcesses(s.grp); len(ps) != 1 || ps[0] != job.Pid {
		t.Errorf("processes of the session: %v, want the parent %d only", ps, job.Pid)
	}
	if ts := validTargets(s.grp); len(ts) != 1 {
		t.Errorf("targets: %v, want the parent only", ts)
	}
	for _, e := range s.spawned() {
		if e.WillFollow {
			t.Errorf("spawned event %+v: WillFollow with a regex that matches nothing", e)
		}
	}
	t.Logf("%d spawned events for children not followed", len(s.spawned()))
	// Round r starts child r (one per round): rounds first..first+5.
	s.detachAndCheck(t, first, first+6, "exit 3")
}

// With follow-exec off no child becomes a target, and the breakpoint on
// main.childWork (in the parent's memory, which a vfork child shares until
// its exec) is in no child: each runs childWork to its end, exit 3.
func TestFollowExecOff(t *testing.T) {
	job := testprog.Start(t, "spawner", "-period", "5ms", "-per", "2")
	s := feAttach(t, job, false, "")
	s.breakAt("main.round")
	if _, suspended := suspendedBreak(t, s.grp, 10, "main.childWork"); suspended {
		t.Fatalf("main.childWork not found in the spawner")
	}
	first := s.parentRounds(t, 8)
	if ps := backend.Processes(s.grp); len(ps) != 1 {
		t.Errorf("%d processes in the session with follow-exec off, want 1", len(ps))
	}
	// Two children per round: round r starts children 2r-1 and 2r.
	s.detachAndCheck(t, 2*first-1, 2*(first+8), "exit 3")
}

// A child that execs a program that is not Go (/bin/true) or a Go program
// without debug information is let go at its exec and ends normally; the
// session goes on with the parent.
func TestFollowExecNotDebuggable(t *testing.T) {
	stripped := testprog.BuildStripped(t, "spawner")
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"not Go", []string{"-exec", "/bin/true"}, "exit 0"},
		{"stripped Go", []string{"-exec", stripped, "child", "7"}, "exit 3"},
	} {
		t.Run(c.name, func(t *testing.T) {
			job := testprog.Start(t, "spawner", append([]string{"-period", "5ms"}, c.args...)...)
			s := feAttach(t, job, true, "")
			s.breakAt("main.round")
			suspendedBreak(t, s.grp, 10, "main.childWork")
			first := s.parentRounds(t, 5)
			t.Logf("spawned events: %+v", s.spawned())
			s.detachAndCheck(t, first, first+5, c.want)
		})
	}
}

// feStressChildren is how many children the follow-exec stress test has
// the debuggee start and reap: DLV_LISTEN_STRESS=full for the 1,000.
func feStressChildren() int {
	if n := forkStressChildren(); n >= 1000 {
		return n
	}
	return 60
}

// Children started and reaped by the debuggee (three a round) while a
// breakpoint in the parent (main.round) and one in the children
// (main.childWork) are hit, with follow-exec on and off. Every stop is
// checked against the sequence the program must take (round r, then its
// children in order when followed): no stop lost or doubled; every child
// exits 3; every continue comes back within feTimeout.
func TestFollowExecStress(t *testing.T) {
	const per = 3
	children := feStressChildren()
	for _, follow := range []bool{false, true} {
		t.Run(fmt.Sprintf("follow=%v", follow), func(t *testing.T) {
			job := testprog.Start(t, "spawner", "-period", "0s", "-per", strconv.Itoa(per))
			s := feAttach(t, job, follow, "")
			s.breakAt("main.round")
			lbp, _ := suspendedBreak(t, s.grp, 10, "main.childWork")
			start := time.Now()
			// The first stop in the parent fixes the sequence; a child
			// started before the attach may stop first.
			round := 0
			for i := 0; round == 0; i++ {
				tgt, fn := s.toStop(t)
				switch {
				case tgt.Pid() == job.Pid && fn == "main.round":
					round = int(evalInt(t, tgt, "n"))
				case i > per:
					t.Fatalf("no stop at main.round in %d stops (last: %s in %d)", i, fn, tgt.Pid())
				}
			}
			firstChild := (round-1)*per + 1
			nextChild := firstChild
			childStops, hits0 := 0, lbp.TotalHitCount
			for nextChild < firstChild+children {
				tgt, fn := s.toStop(t)
				n := int(evalInt(t, tgt, "n"))
				switch {
				case tgt.Pid() == job.Pid && fn == "main.round":
					if n != round+1 {
						t.Fatalf("stop at main.round(%d) after round %d: a round lost or doubled", n, round)
					}
					if follow && nextChild != n*per-per+1 {
						t.Fatalf("round %d began with child %d next, want %d: a child's stop lost", n, nextChild, n*per-per+1)
					}
					round = n
					if !follow {
						nextChild = (round-1)*per + 1
					}
				case tgt.Pid() != job.Pid && fn == "main.childWork":
					if !follow {
						t.Fatalf("child %d (n=%d) stopped at main.childWork with follow-exec off", tgt.Pid(), n)
					}
					if n != nextChild {
						t.Fatalf("child %d stopped with n = %d, want %d: a child's stop lost or doubled", tgt.Pid(), n, nextChild)
					}
					nextChild++
					childStops++
				default:
					t.Fatalf("stop in %s of process %d (n = %d)", fn, tgt.Pid(), n)
				}
			}
			elapsed := time.Since(start)
			if got := lbp.TotalHitCount - hits0; follow && got != uint64(childStops) {
				t.Errorf("main.childWork's hit count grew by %d over %d stops", got, childStops)
			}
			if !follow && lbp.TotalHitCount != 0 {
				t.Errorf("main.childWork hit %d times with follow-exec off", lbp.TotalHitCount)
			}
			t.Logf("follow-exec %v: %d children, %d rounds, %d stops in children, %v (%.1f children/s)",
				follow, nextChild-firstChild, round, childStops, elapsed.Round(time.Millisecond),
				float64(nextChild-firstChild)/elapsed.Seconds())
			s.detachAndCheck(t, firstChild, nextChild-1+per, "exit 3")
		})
	}
}

// Attaching while the debuggee starts children one after another: the
// program runs while its debug information loads, and a child it makes
// meanwhile is reported before the session's group exists. Each attach
// must come back, each detach let every process go, every child exit 3.
// As a whole job too: a member that is a child gone before the attach
// reaches it is no reason to fail.
func TestAttachWhileSpawning(t *testing.T) {
	for _, job := range []bool{false, true} {
		t.Run(fmt.Sprintf("job=%v", job), func(t *testing.T) { attachWhileSpawning(t, job) })
	}
}

func attachWhileSpawning(t *testing.T, whole bool) {
	job := testprog.Start(t, "spawner", "-period", "0s")
	first := 0
	for i := 0; i < 10; i++ {
		var grp *proc.TargetGroup
		var err error
		if whole {
			grp, _, err = backend.AttachJob(job.Pid, nil)
		} else {
			grp, err = backend.Attach(job.Pid, nil, nil)
		}
		if err != nil {
			t.Fatalf("attach %d: %v", i, err)
		}
		if i == 0 {
			byN, _ := spawnerChildren(job.Output())
			first = len(byN) + 1
		}
		if err := grp.Detach(false); err != nil {
			t.Fatalf("detach %d: %v", i, err)
		}
		pollFor(t, "the spawner untraced", func() bool {
			_, tracer, err := testprog.ProcStat(job.Pid)
			return err == nil && tracer == 0
		})
	}
	byN, _ := spawnerChildren(job.Output())
	last := len(byN) + 2
	waitSpawnerChild(t, job, last)
	checkSpawnerChildren(t, job, first, last, "exit 3")
}

// With follow-exec on, a child made by a raw fork(2) never execs: it is
// not followed, and is cleaned of the parent's breakpoints and let go as
// with follow-exec off (it runs main.inChild, where a breakpoint is, and
// exits 7); the os/exec children of the same rounds are followed and exit
// 0.
func TestFollowExecWithForkChildren(t *testing.T) {
	job := testprog.Start(t, "forker", "-period", "5ms")
	s := feAttach(t, job, true, "")
	s.breakAt("main.round")
	if _, suspended := suspendedBreak(t, s.grp, 10, "main.inChild"); suspended {
		t.Fatalf("main.inChild not found in the forker")
	}
	first := s.parentRounds(t, 6)
	followed := 0
	for _, e := range s.spawned() {
		if e.WillFollow {
			followed++
		}
	}
	if followed < 4 {
		t.Errorf("%d followed children in 5 rounds of one os/exec child each: %+v", followed, s.spawned())
	}
	if err := s.grp.Detach(false); err != nil {
		t.Fatalf("detach: %v", err)
	}
	waitRounds(t, job, int64(first+7))
	execs, forks, bad := forkerChildren(job.Output(), first)
	if len(bad) > 0 || execs < 6 || forks < 6 {
		t.Fatalf("%d exec and %d fork children since round %d, want 6 each ending normally; failed: %q", execs, forks, first, bad)
	}
	if traced := tracedChildren(job.Pid); len(traced) > 0 {
		t.Errorf("children still traced after detach: %v", traced)
	}
}

// shPipeline runs `sh -c 'pipeline produce | pipeline consume'` in a
// process group of its own and returns the two ends once both count
// (producer first). A cleanup kills the group.
func shPipeline(t *testing.T) (prod, cons int) {
	t.Helper()
	bin := testprog.Build(t, "pipeline")
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	sh := exec.Command("/bin/sh", "-c", fmt.Sprintf("%s produce -out %s | %s consume -out %s", bin, a, bin, b))
	sh.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := sh.Start(); err != nil {
		t.Fatal(err)
	}
	pgid := sh.Process.Pid
	t.Cleanup(func() {
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		_ = sh.Wait()
		pollFor(t, "the pipeline gone", func() bool {
			for _, k := range childrenOf(pgid) {
				if st, _, err := testprog.ProcStat(k); err == nil && st != 'Z' {
					return false
				}
			}
			return true
		})
	})
	pollFor(t, "both ends counting", func() bool {
		return testprog.ReadCounter(a) > 2 && testprog.ReadCounter(b) > 2
	})
	for _, k := range childrenOf(pgid) {
		if strings.Contains(cmdlineOf(k), " produce ") {
			prod = k
		} else {
			cons = k
		}
	}
	return prod, cons
}

func cmdlineOf(pid int) string {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	return strings.ReplaceAll(string(b), "\x00", " ")
}

// A whole job, breakpoints in one end then the other, round after round:
// every continue stops in the end whose function has the breakpoint,
// within feTimeout (a stop in the consumer must not leave the producer
// held at the next continue).
func TestAttachJobAlternatingBreakpoints(t *testing.T) {
	prod, cons := shPipeline(t)
	grp, _, err := backend.AttachJob(cons, nil)
	if err != nil {
		t.Fatalf("AttachJob: %v", err)
	}
	t.Cleanup(func() {
		if ok, _ := grp.Valid(); ok {
			_ = grp.Detach(false)
		}
	})
	consBP, _ := suspendedBreak(t, grp, 1, "main.consume")
	prodBP, _ := suspendedBreak(t, grp, 2, "main.produce")
	if err := grp.SetBreakpointEnabled(prodBP, false); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 10; i++ {
		for _, c := range []struct {
			on, off *proc.LogicalBreakpoint
			pid     int
			fn      string
		}{{consBP, prodBP, cons, "main.consume"}, {prodBP, consBP, prod, "main.produce"}} {
			if err := grp.SetBreakpointEnabled(c.off, false); err != nil {
				t.Fatal(err)
			}
			if err := grp.SetBreakpointEnabled(c.on, true); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- grp.Continue() }()
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("round %d: continue to %s: %v", i, c.fn, err)
				}
			case <-time.After(feTimeout):
				var states []string
				for _, pid := range []int{prod, cons} {
					for tid := range tasksOf(t, pid) {
						st, _ := taskStatus(pid, tid)
						states = append(states, fmt.Sprintf("%d/%d:%c", pid, tid, st))
					}
				}
				_ = grp.RequestManualStop()
				select {
				case <-done:
				case <-time.After(jcTimeout):
				}
				t.Fatalf("round %d: no stop at %s within %v; threads (pid/tid:state): %v", i, c.fn, feTimeout, states)
			}
			tgt, fn := stopFn(t, grp)
			if fn != c.fn || tgt.Pid() != c.pid {
				t.Fatalf("round %d: stopped in %s of %d, want %s of %d", i, fn, tgt.Pid(), c.fn, c.pid)
			}
			evalInt(t, tgt, "n")
			// A user at the prompt: the held threads are parked once the
			// backend has been idle a while (idle_linux.go). Not a
			// synchronisation: the scenario is the time spent stopped.
			time.Sleep(idleAtPrompt)
		}
	}
}

// idleAtPrompt is longer than the backend's idle delay before it parks
// held threads.
const idleAtPrompt = 100 * time.Millisecond
