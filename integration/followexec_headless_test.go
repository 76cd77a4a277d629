//go:build linux

package integration

// Follow-exec over headless JSON-RPC, driven by Delve's own rpc2 client as
// `dlv connect` and editors drive stock dlv: FollowExec, FollowExecEnabled,
// a suspended breakpoint (an id and no address until a child has the
// function, then the child's address and pid, hit counts summed over
// processes), ListTargets (an exited child leaves it), evaluation in the
// child, and a detach that lets every process go.

import (
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
	"testing"

	"github.com/go-delve/delve/service/api"
	"github.com/go-delve/delve/service/rpc2"

	"github.com/dlv-listen/dlv-listen/internal/testprog"
	"github.com/dlv-listen/dlv-listen/service/jobapi"
)

// feContinue continues and returns the state of the stop, failing on an
// error or an exit.
func feContinue(t *testing.T, c *rpc2.RPCClient) *api.DebuggerState {
	t.Helper()
	st := <-c.Continue()
	if st == nil || st.Err != nil || st.Exited {
		t.Fatalf("continue: %+v", st)
	}
	return st
}

// feEvalInt evaluates expr in the selected goroutine.
func feEvalInt(t *testing.T, c *rpc2.RPCClient, expr string) int {
	t.Helper()
	v, err := c.EvalVariable(api.EvalScope{GoroutineID: -1}, expr, api.LoadConfig{MaxStringLen: 64})
	if err != nil {
		t.Fatalf("eval %s: %v", expr, err)
	}
	n, err := strconv.Atoi(v.Value)
	if err != nil {
		t.Fatalf("eval %s: %q is not an integer", expr, v.Value)
	}
	return n
}

// feTargetPids lists the pids ListTargets returns.
func feTargetPids(t *testing.T, c *rpc2.RPCClient) []int {
	t.Helper()
	tgts, err := c.ListTargets()
	if err != nil {
		t.Fatalf("ListTargets: %v", err)
	}
	var r []int
	for _, tg := range tgts {
		r = append(r, tg.Pid)
	}
	return r
}

// feClearAndDetach clears breakpoint id, detaches, and checks the server
// ends with status 0 and leaves pid running, untraced.
func feClearAndDetach(t *testing.T, c *rpc2.RPCClient, srv *server, id, pid int) {
	t.Helper()
	if _, err := c.ClearBreakpoint(id); err != nil {
		t.Fatalf("ClearBreakpoint: %v", err)
	}
	if err := c.Detach(false); err != nil {
		t.Fatalf("Detach: %v", err)
	}
	if st := srv.wait(CmdTimeout); st != 0 {
		t.Errorf("headless dlv-listen exited with status %d after the detach", st)
	}
	WaitUntraced(t, pid, "running", EventTimeout)
}

func TestFollowExecHeadless(t *testing.T) {
	counterBin := Program(t, "counter")
	var pgid int
	out := filepath.Join(KidsDir(t, &pgid), "child-counter")
	job := testprog.Start(t, "spawner", "-period", "20ms", "-exec", counterBin, "--",
		"-out", out, "-iterations", "2", "-workers", "0")
	pgid = job.Pid // jobparent makes it a group leader
	srv := startServer(t, "dlv-listen", dlvListen, append([]string{"attach", pidArg(job.Pid)}, headlessArgs()...)...)
	c := srv.dial(t)

	if c.FollowExecEnabled() {
		t.Fatalf("FollowExecEnabled before FollowExec: true")
	}
	if err := c.FollowExec(true, ""); err != nil {
		t.Fatalf("FollowExec: %v", err)
	}
	if !c.FollowExecEnabled() {
		t.Fatalf("FollowExecEnabled after FollowExec(true): false")
	}
	// As the terminal does when the location is in no process yet.
	bp, err := c.CreateBreakpointWithExpr(&api.Breakpoint{}, "main.tick", nil, true)
	if err != nil {
		t.Fatalf("suspended breakpoint on main.tick: %v", err)
	}
	if bp.ID <= 0 || len(bp.Addrs) != 0 {
		t.Fatalf("suspended breakpoint: id %d, addresses %#x; want an id and no address", bp.ID, bp.Addrs)
	}

	var pids []int
	for i := 0; i < 3; i++ { // two ticks in the first child, one in the second
		st := feContinue(t, c)
		child := st.Pid
		if child == job.Pid || st.CurrentThread == nil || st.CurrentThread.Breakpoint == nil || st.CurrentThread.Breakpoint.ID != bp.ID {
			t.Fatalf("stop %d: pid %d (parent %d), thread %+v; want breakpoint %d in a child", i, child, job.Pid, st.CurrentThread, bp.ID)
		}
		if fn := st.CurrentThread.Function; fn == nil || fn.Name() != "main.tick" {
			t.Fatalf("stop %d: in %v, want main.tick", i, fn)
		}
		if n := feEvalInt(t, c, "n"); n != i%2+1 {
			t.Fatalf("stop %d in child %d: n = %d, want %d", i, child, n, i%2+1)
		}
		if pid := c.ProcessPid(); pid != child {
			t.Errorf("stop %d: ProcessPid %d, want the selected target, child %d (as dlv answers)", i, pid, child)
		}
		if !slices.Contains(pids, child) {
			pids = append(pids, child)
		}
		got, err := c.GetBreakpoint(bp.ID)
		if err != nil {
			t.Fatalf("GetBreakpoint(%d): %v", bp.ID, err)
		}
		if got.TotalHitCount != uint64(i+1) {
			t.Errorf("stop %d: hit count %d, want %d (summed over the children)", i, got.TotalHitCount, i+1)
		}
		if !slices.Contains(got.AddrPid, child) || len(got.Addrs) == 0 {
			t.Errorf("stop %d: breakpoint addresses %#x of pids %v; want one in child %d", i, got.Addrs, got.AddrPid, child)
		}
		tgts := feTargetPids(t, c)
		want := []int{job.Pid, child}
		slices.Sort(tgts)
		slices.Sort(want)
		if !slices.Equal(tgts, want) {
			t.Errorf("stop %d: ListTargets %v, want the parent and child %d only (an exited child leaves)", i, tgts, child)
		}
	}
	if len(pids) != 2 {
		t.Fatalf("stops in children %v, want two ticks in one child then one in the next", pids)
	}
	feClearAndDetach(t, c, srv, bp.ID, job.Pid)
	for _, pid := range pids {
		if end := feSpawnerEnd(t, job, pid); end != "exit 0" {
			t.Errorf("child %d: %s, want exit 0", pid, end)
		}
	}
}

// A debuggee that execs a program itself (reexec, on SIGUSR1), over
// JSON-RPC with follow-exec on: the breakpoint stops in the new program
// (same pid), ListTargets lists it alone, JobState says it runs, not that
// it exited, and Detach lets it go running.
func TestFollowExecSelfExecHeadless(t *testing.T) {
	job := testprog.Start(t, "reexec", "-period", "20ms")
	srv := startServer(t, "dlv-listen", dlvListen, append([]string{"attach", pidArg(job.Pid)}, headlessArgs()...)...)
	c := srv.dial(t)
	if err := c.FollowExec(true, ""); err != nil {
		t.Fatalf("FollowExec: %v", err)
	}
	bp, err := c.CreateBreakpoint(&api.Breakpoint{FunctionName: "main.round"})
	if err != nil {
		t.Fatalf("breakpoint on main.round: %v", err)
	}
	feContinue(t, c)
	if g := feEvalInt(t, c, "*main.gen"); g != 1 {
		t.Fatalf("first stop: gen %d, want 1", g)
	}
	if err := syscall.Kill(job.Pid, syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	for i := 0; feEvalInt(t, c, "*main.gen") != 2; i++ {
		if i == 20 {
			t.Fatalf("no stop in the new program in 20 continues after SIGUSR1; output:\n%s", job.Output())
		}
		st := feContinue(t, c)
		if st.Pid != job.Pid || st.CurrentThread == nil || st.CurrentThread.Breakpoint == nil || st.CurrentThread.Breakpoint.ID != bp.ID {
			t.Fatalf("continue %d: pid %d, thread %+v; want breakpoint %d in %d", i, st.Pid, st.CurrentThread, bp.ID, job.Pid)
		}
	}
	if tgts := feTargetPids(t, c); !slices.Equal(tgts, []int{job.Pid}) {
		t.Errorf("ListTargets after the exec: %v, want the new program alone (%d)", tgts, job.Pid)
	}
	var js jobapi.JobStateOut
	if err := c.CallAPI("JobState", jobapi.JobStateIn{}, &js); err != nil || js.JobState.State != jobapi.StateRunning || js.JobState.Pid != job.Pid {
		t.Errorf("JobState after the exec: %+v, %v; want process %d running", js.JobState, err, job.Pid)
	}
	feClearAndDetach(t, c, srv, bp.ID, job.Pid)
}
