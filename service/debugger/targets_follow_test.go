package debugger_test

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-delve/delve/service/api"

	"github.com/dlv-listen/dlv-listen/internal/testprog"
	"github.com/dlv-listen/dlv-listen/service/debugger"
	"github.com/dlv-listen/dlv-listen/service/jobapi"
)

// TestFollowExecChild: with follow-exec on from the attach, a breakpoint
// on a function only the children run stops in a child, which is a target
// (ListTargets, switch, evaluation there); the spawn and the exit of the
// child are target events, and an exited child leaves ListTargets.
func TestFollowExecChild(t *testing.T) {
	job := testprog.Start(t, "spawner", "-per", "1", "-period", "20ms")
	s := attachWith(t, job, job.Pid, debugger.Config{FollowExec: true, FollowExecRegex: " child "})
	te := recordTargetEvents(t, s.d)
	if !s.c.FollowExecEnabled() {
		t.Fatalf("FollowExecEnabled false after attach with FollowExec")
	}
	bp, err := s.c.CreateBreakpoint(&api.Breakpoint{FunctionName: "main.childWork"})
	if err != nil {
		t.Fatalf("breakpoint main.childWork: %v", err)
	}
	st := s.recv(s.cont())
	if st.Err != nil || st.CurrentThread == nil || st.CurrentThread.Breakpoint == nil || st.CurrentThread.Breakpoint.ID != bp.ID {
		t.Fatalf("continue stopped at %s (%v), want breakpoint %d", describe(st), st.Err, bp.ID)
	}
	child := st.Pid
	if child == job.Pid {
		t.Fatalf("stopped in the parent %d at main.childWork, want a child", child)
	}
	spawned := te.wait(t, "spawned "+fmt.Sprint(child), func(ev debugger.TargetEvent) bool {
		return ev.Kind == debugger.ProcessSpawned && ev.Pid == child
	})
	if !spawned.WillFollow || !strings.Contains(spawned.Cmdline, " child ") {
		t.Errorf("spawn event %+v, want followed, command line with ' child '", spawned)
	}
	v, err := s.c.EvalVariable(currentScope, "n", loadCfg)
	if err != nil || v.Value == "0" {
		t.Fatalf("eval n in the child: %+v, %v", v, err)
	}
	tgts, err := s.c.ListTargets()
	if err != nil {
		t.Fatal(err)
	}
	var parentTgt *api.Target
	pids := []int{}
	for i := range tgts {
		pids = append(pids, tgts[i].Pid)
		if tgts[i].Pid == job.Pid {
			parentTgt = &tgts[i]
		}
	}
	if len(tgts) != 2 || parentTgt == nil || !slices.Contains(pids, child) {
		t.Fatalf("ListTargets pids %v, want the parent %d and the child %d", pids, job.Pid, child)
	}
	// target switch: selecting a thread of the parent selects the parent.
	sw, err := s.c.SwitchThread(parentTgt.CurrentThread.ID)
	if err != nil || sw.Pid != job.Pid {
		t.Fatalf("switch to thread %d of the parent: pid %v, %v", parentTgt.CurrentThread.ID, sw, err)
	}
	if bps, _ := s.c.GetBreakpoint(bp.ID); bps == nil || !slices.Contains(bps.AddrPid, child) || !slices.Contains(bps.AddrPid, job.Pid) {
		t.Errorf("breakpoint %+v: want addresses in the parent and in the child", bps)
	}

	// The child runs to its end once the breakpoint is gone.
	if _, err := s.c.ClearBreakpoint(bp.ID); err != nil {
		t.Fatal(err)
	}
	ch := s.cont()
	ev := te.wait(t, "exited "+fmt.Sprint(child), func(ev debugger.TargetEvent) bool {
		return ev.Kind == debugger.ProcessExited && ev.Pid == child
	})
	if ev.ExitStatus != 3 {
		t.Errorf("child %d exit status %d, want 3 (ran childWork to its end)", child, ev.ExitStatus)
	}
	// The parent, running, reaps it and says so.
	deadline := time.Now().Add(timeout)
	for !strings.Contains(job.Output(), fmt.Sprintf("pid %d exit 3", child)) {
		if time.Now().After(deadline) {
			t.Fatalf("the parent did not see child %d exit 3; output:\n%s", child, job.Output())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if _, err := s.c.Halt(); err != nil {
		t.Fatalf("halt: %v", err)
	}
	for range ch {
	}
	tgts, err = s.c.ListTargets()
	if err != nil {
		t.Fatal(err)
	}
	for _, tgt := range tgts {
		if tgt.Pid == child {
			t.Errorf("exited child %d still in ListTargets %+v", child, tgts)
		}
	}
}

// TestSuspendedBreakpoint: a breakpoint on a function only the child's
// program has is created suspended (an id, no address), gets its address
// in the child when the child is added (BreakpointMaterialized), and is
// hit there.
func TestSuspendedBreakpoint(t *testing.T) {
	counter := testprog.Build(t, "counter")
	dir := t.TempDir()
	// Each child is a counter that ticks 20 times and exits.
	job := testprog.Start(t, "spawner", "-per", "1", "-exec", counter, "--", "-out", filepath.Join(dir, "child-counter"), "-iterations", "20")
	// A counter child may be between its start and its end when the test
	// ends: end the process group (after the session let it go; cleanups
	// run last first), before the temporary directory goes.
	pgid := pgidOf(t, job.Pid)
	t.Cleanup(func() { _ = syscall.Kill(-pgid, syscall.SIGKILL) })
	s := attachWith(t, job, job.Pid, debugger.Config{FollowExec: true})
	te := recordTargetEvents(t, s.d)

	if _, _, err := s.c.FindLocation(currentScope, "main.tick", true, nil); err == nil {
		t.Fatalf("main.tick found in the spawner; the test needs a function only the child has")
	}
	// What the terminal sends once the user said yes to "Set a suspended
	// breakpoint?".
	bp, err := s.c.CreateBreakpointWithExpr(&api.Breakpoint{}, "main.tick", nil, true)
	if err != nil {
		t.Fatalf("suspended breakpoint: %v", err)
	}
	if bp.ID == 0 || len(bp.Addrs) != 0 || bp.ExprString != "main.tick" {
		t.Fatalf("suspended breakpoint %+v: want an id and no address", bp)
	}
	st := s.recv(s.cont())
	if st.Err != nil || st.CurrentThread == nil || st.CurrentThread.Breakpoint == nil || st.CurrentThread.Breakpoint.ID != bp.ID {
		t.Fatalf("continue stopped at %s (%v), want breakpoint %d in the child", describe(st), st.Err, bp.ID)
	}
	child := st.Pid
	mat := te.wait(t, "breakpoint materialized", func(ev debugger.TargetEvent) bool {
		return ev.Kind == debugger.BreakpointMaterialized && ev.BreakpointID == bp.ID
	})
	if mat.Pid != child || mat.Breakpoint == nil || len(mat.Breakpoint.Addrs) == 0 {
		t.Errorf("materialized event %+v, want pid %d and the addresses", mat, child)
	}
	got, err := s.c.GetBreakpoint(bp.ID)
	if err != nil || len(got.Addrs) == 0 || !slices.Equal(got.AddrPid, slices.Repeat([]int{child}, len(got.Addrs))) || got.Line == 0 ||
		got.FunctionName != "main.tick" || got.TotalHitCount != 1 {
		t.Fatalf("breakpoint after the child came: %+v, %v; want addresses in %d, a line, 1 hit", got, err, child)
	}
	// The second hit adds to the same count.
	st = s.recv(s.cont())
	if st.Err != nil || st.Pid != child {
		t.Fatalf("second continue: %s, %v", describe(st), st.Err)
	}
	if got, _ := s.c.GetBreakpoint(bp.ID); got == nil || got.TotalHitCount != 2 {
		t.Errorf("hit count %+v, want 2", got)
	}
}

// TestJobAttach: attach --job takes both Go ends of a pipeline and
// names the shell it leaves alone in one warning; a SIGTSTP to the job
// is announced per process and once for the job, as is the SIGCONT;
// JobState's Job says the job; detach lets both go, running.
func TestJobAttach(t *testing.T) {
	pgid, produced, consumed := startJob(t)
	ends := membersOf(t, pgid)
	if len(ends) != 2 {
		t.Fatalf("process group %d: members %v, want the two ends", pgid, ends)
	}
	// Through the shell's pid, a member the attach leaves alone.
	s := attachWith(t, nil, pgid, debugger.Config{Job: true})
	warns := s.d.Warnings()
	t.Logf("warnings: %q", warns)
	if len(warns) != 1 || !strings.Contains(warns[0], fmt.Sprintf("%d (bash", pgid)) {
		t.Errorf("warnings %q, want one naming the shell %d", warns, pgid)
	}
	js := s.d.JobStatus()
	if js.Job == nil || js.Job.Pgid != pgid || js.Job.State != jobapi.StateRunning || len(js.Job.Processes) != 2 {
		t.Fatalf("JobStatus.Job %+v, want job %d running with 2 processes", js.Job, pgid)
	}

	// The ends run under the session; Ctrl-Z stops both.
	ch := s.cont()
	waitCounters(t, produced, consumed)
	if err := syscall.Kill(-pgid, syscall.SIGTSTP); err != nil {
		t.Fatal(err)
	}
	s.notes.has(t, fmt.Sprintf("process %d stopped by SIGTSTP (job control); it stays stopped until SIGCONT", ends[0]),
		fmt.Sprintf("process %d stopped by SIGTSTP (job control); it stays stopped until SIGCONT", ends[1]),
		fmt.Sprintf("job %d stopped by SIGTSTP: all 2 processes", pgid))
	if all := s.notes.all(); all[len(all)-1] != fmt.Sprintf("job %d stopped by SIGTSTP: all 2 processes", pgid) {
		t.Errorf("notices %q: the job's after its processes'", all)
	}
	js = s.d.KnownJobStatus()
	if js.Job.State != jobapi.StateStopped {
		t.Errorf("after SIGTSTP: Job %+v, want stopped", js.Job)
	}
	if !strings.HasSuffix(js.Text, fmt.Sprintf("job %d is stopped by SIGTSTP: all 2 processes", pgid)) {
		t.Errorf("jobs says %q", js.Text)
	}
	// The network clients' log names the process of each change.
	evs, _ := s.d.JobEventsAfter(0)
	var stopped []int
	for _, ev := range evs {
		if ev.Kind == jobapi.EventStopped {
			stopped = append(stopped, ev.Pid)
		}
	}
	slices.Sort(stopped)
	if !slices.Equal(stopped, ends) {
		t.Errorf("job events %+v: want one stop of each of %v", evs, ends)
	}
	// signal in a job session signals the job, as the shell's fg does.
	if line, err := s.d.Signal("CONT"); err != nil || line != fmt.Sprintf("sent SIGCONT to job %d", pgid) {
		t.Fatalf("signal CONT: %q, %v", line, err)
	}
	s.notes.has(t, fmt.Sprintf("process %d continued (SIGCONT)", ends[0]), fmt.Sprintf("process %d continued (SIGCONT)", ends[1]),
		fmt.Sprintf("job %d continued (SIGCONT): 1 of 2 processes running", pgid))
	waitCounters(t, produced, consumed)
	if _, err := s.c.Halt(); err != nil {
		t.Fatal(err)
	}
	for range ch {
	}
	if err := s.c.Detach(false); err != nil {
		t.Fatalf("detach: %v", err)
	}
	for _, pid := range ends {
		if st, tracer, err := testprog.ProcStat(pid); err != nil || tracer != 0 || st == 'T' || st == 't' {
			t.Errorf("process %d after detach: state %c, tracer %d, %v; want running, untraced", pid, st, tracer, err)
		}
	}
}

// stopInChild continues s (follow-exec on, a breakpoint on main.childWork)
// until a child stops there, and returns the child's pid.
func stopInChild(t *testing.T, s *session, parent int) int {
	t.Helper()
	bp, err := s.c.CreateBreakpoint(&api.Breakpoint{FunctionName: "main.childWork"})
	if err != nil {
		t.Fatalf("breakpoint main.childWork: %v", err)
	}
	st := s.recv(s.cont())
	if st.Err != nil || st.CurrentThread == nil || st.CurrentThread.Breakpoint == nil || st.CurrentThread.Breakpoint.ID != bp.ID || st.Pid == parent {
		t.Fatalf("continue stopped at %s in %d (%v), want breakpoint %d in a child", describe(st), st.Pid, st.Err, bp.ID)
	}
	return st.Pid
}

// TestDetachLetsEveryProcessGo: detaching an attached session lets the
// parent and the child stopped at a breakpoint go, with no breakpoint
// left: the child runs childWork to its end (exit 3), the parent goes on.
func TestDetachLetsEveryProcessGo(t *testing.T) {
	job := testprog.Start(t, "spawner", "-per", "1", "-period", "20ms")
	s := attachWith(t, job, job.Pid, debugger.Config{FollowExec: true})
	child := stopInChild(t, s, job.Pid)
	if err := s.c.Detach(false); err != nil {
		t.Fatalf("detach: %v", err)
	}
	deadline := time.Now().Add(timeout)
	for !strings.Contains(job.Output(), fmt.Sprintf("pid %d exit 3", child)) {
		if time.Now().After(deadline) {
			t.Fatalf("child %d did not exit 3 after the detach; output:\n%s", child, job.Output())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if _, tracer, err := testprog.ProcStat(job.Pid); err != nil || tracer != 0 {
		t.Errorf("parent after detach: tracer %d, %v", tracer, err)
	}
	job.WaitAdvance(t, timeout)
	if strings.Contains(job.Output(), " signal ") {
		t.Errorf("a child died of a signal:\n%s", job.Output())
	}
}

// TestLaunchedCloseKillsEveryProcess: a launched session ends every
// process it has, the followed child too.
func TestLaunchedCloseKillsEveryProcess(t *testing.T) {
	bin := testprog.Build(t, "spawner")
	d, err := debugger.Launch([]string{bin, "-out", filepath.Join(t.TempDir(), "counter"), "-per", "1"},
		debugger.LaunchConfig{}, debugger.Config{FollowExec: true})
	if err != nil {
		t.Fatalf("launch: %v", err)
	}
	parent := d.Process().Pid()
	s := &session{t: t, d: d, c: d.Client(), notes: &notices{wake: make(chan struct{}, 1)}}
	t.Cleanup(func() { _ = d.Close(true) })
	child := stopInChild(t, s, parent)
	if err := s.c.Detach(true); err != nil {
		t.Fatalf("detach (kill): %v", err)
	}
	for _, pid := range []int{parent, child} {
		deadline := time.Now().Add(timeout)
		for {
			st, _, err := testprog.ProcStat(pid)
			if err != nil || st == 'Z' {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("process %d still there (state %c) after the launched session ended", pid, st)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
}

// TestJobAttachStopped: a job stopped before the attach stays stopped
// through attach (no job change announced: it is the state it starts in)
// and detach.
func TestJobAttachStopped(t *testing.T) {
	pgid, _, _ := startJob(t)
	ends := membersOf(t, pgid)
	if err := syscall.Kill(-pgid, syscall.SIGTSTP); err != nil {
		t.Fatal(err)
	}
	for _, pid := range append([]int{pgid}, ends...) {
		waitStat(t, pid, 'T')
	}
	s := attachWith(t, nil, ends[1], debugger.Config{Job: true})
	js := s.d.JobStatus()
	if js.Job == nil || js.Job.Pgid != pgid || js.Job.State != jobapi.StateStopped || len(js.Job.Processes) != 2 {
		t.Fatalf("JobStatus.Job %+v, want job %d stopped with 2 processes", js.Job, pgid)
	}
	if want := fmt.Sprintf("job %d is stopped by SIGTSTP: all 2 processes", pgid); !strings.HasSuffix(js.Text, want) {
		t.Errorf("jobs says %q, want it to end with %q", js.Text, want)
	}
	// A continue waits for the job's SIGCONT, and says so once.
	ch := s.cont()
	s.notes.wait(t, fmt.Sprintf("job %d is stopped by SIGTSTP (job control): waiting for SIGCONT (Ctrl-C halts)", pgid))
	if _, err := s.c.Halt(); err != nil {
		t.Fatal(err)
	}
	for range ch {
	}
	if err := s.c.Detach(false); err != nil {
		t.Fatalf("detach: %v", err)
	}
	for _, n := range s.notes.all() {
		if strings.HasPrefix(n, "job ") && !strings.HasSuffix(n, "waiting for SIGCONT (Ctrl-C halts)") {
			t.Errorf("notice %q: the job did not change", n)
		}
	}
	for _, pid := range ends {
		waitStat(t, pid, 'T')
		if _, tracer, _ := testprog.ProcStat(pid); tracer != 0 {
			t.Errorf("process %d still traced by %d after detach", pid, tracer)
		}
	}
}

// waitStat waits until /proc/PID/stat says state.
func waitStat(t *testing.T, pid int, state byte) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		st, _, err := testprog.ProcStat(pid)
		if err == nil && st == state {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("process %d in state %c (%v), want %c", pid, st, err, state)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestFollowExecChildrenEvents: children followed one after another are
// each told once as spawned and once as exited, in that order, and none
// dies; the session's process list is back to the parent alone.
func TestFollowExecChildrenEvents(t *testing.T) {
	const want = 6
	job := testprog.Start(t, "spawner", "-per", "1", "-period", "1ms")
	s := attachWith(t, job, job.Pid, debugger.Config{FollowExec: true})
	te := recordTargetEvents(t, s.d)
	ch := s.cont()
	exited := func() map[int]int {
		te.mu.Lock()
		defer te.mu.Unlock()
		n := map[int]int{}
		for _, ev := range te.evs {
			if ev.Kind == debugger.ProcessExited {
				n[ev.Pid]++
			}
		}
		return n
	}
	deadline := time.Now().Add(4 * timeout)
	for len(exited()) < want {
		if time.Now().After(deadline) {
			t.Fatalf("%d children exited within %v, want %d", len(exited()), 4*timeout, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if _, err := s.c.Halt(); err != nil {
		t.Fatal(err)
	}
	for range ch {
	}
	te.mu.Lock()
	evs := slices.Clone(te.evs)
	te.mu.Unlock()
	spawned := map[int]int{}
	for _, ev := range evs {
		switch ev.Kind {
		case debugger.ProcessSpawned:
			spawned[ev.Pid]++
			if !ev.WillFollow {
				t.Errorf("child %d not followed: %+v", ev.Pid, ev)
			}
		case debugger.ProcessExited:
			if spawned[ev.Pid] != 1 {
				t.Errorf("child %d exited, spawned %d times before", ev.Pid, spawned[ev.Pid])
			}
			if ev.ExitStatus != 3 {
				t.Errorf("child %d exit status %d, want 3", ev.Pid, ev.ExitStatus)
			}
		}
	}
	for pid, n := range exited() {
		if n != 1 {
			t.Errorf("child %d exited %d times", pid, n)
		}
	}
	if strings.Contains(job.Output(), " signal ") {
		t.Errorf("a child died of a signal:\n%s", job.Output())
	}
	// The exited children are gone from the job: the parent and at most
	// the child running at the halt are left.
	if js := s.d.JobStatus(); len(js.Job.Processes) > 2 || js.Job.Processes[0].Pid != job.Pid {
		t.Errorf("job after %d children: %+v", len(exited()), js.Job)
	}
}

// TestHitCountsAddUp: a breakpoint by function name is put in each
// followed child; its hit count adds the hits of every process.
func TestHitCountsAddUp(t *testing.T) {
	job := testprog.Start(t, "spawner", "-per", "1", "-period", "1ms")
	s := attachWith(t, job, job.Pid, debugger.Config{FollowExec: true})
	first := stopInChild(t, s, job.Pid)
	st := s.recv(s.cont())
	if st.Err != nil || st.Pid == first || st.Pid == job.Pid {
		t.Fatalf("second stop: %s in %d (%v), want another child than %d", describe(st), st.Pid, st.Err, first)
	}
	bps, err := s.c.ListBreakpoints(false)
	if err != nil {
		t.Fatal(err)
	}
	for _, bp := range bps {
		if bp.FunctionName != "main.childWork" {
			continue
		}
		if bp.TotalHitCount != 2 || !slices.Contains(bp.AddrPid, st.Pid) || !slices.Contains(bp.AddrPid, job.Pid) || slices.Contains(bp.AddrPid, first) {
			t.Errorf("breakpoint %+v: want 2 hits, addresses in the parent %d and the live child %d (not the exited %d)", bp, job.Pid, st.Pid, first)
		}
		return
	}
	t.Fatalf("no breakpoint on main.childWork in %+v", bps)
}
