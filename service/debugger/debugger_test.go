package debugger_test

// Tests of the session through its service.Client, against real processes:
// internal/testprog's counter, which calls main.tick(n, "tick") every
// millisecond under jobparent, a stand-in for a job-control shell that
// records what a shell would see (wait(2) with WUNTRACED).

import (
	"errors"
	"fmt"
	"net/rpc"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-delve/delve/service"
	"github.com/go-delve/delve/service/api"
	"github.com/go-delve/delve/service/rpc2"

	"github.com/dlv-listen/dlv-listen/backend"
	"github.com/dlv-listen/dlv-listen/internal/testprog"
	"github.com/dlv-listen/dlv-listen/service/debugger"
	"github.com/dlv-listen/dlv-listen/service/jobapi"
)

// timeout is the deadline for what should happen at once.
var timeout = testprog.Timeout(10 * time.Second)

const frozen = 300 * time.Millisecond

var loadCfg = api.LoadConfig{FollowPointers: true, MaxVariableRecurse: 1, MaxStringLen: 64, MaxArrayValues: 64, MaxStructFields: -1}

// currentScope is the selected goroutine's top frame.
var currentScope = api.EvalScope{GoroutineID: -1}

// notices records the session's notices for tests to wait on.
type notices struct {
	mu     sync.Mutex
	lines  []string
	cursor int
	wake   chan struct{}
}

func (n *notices) add(line string) {
	n.mu.Lock()
	n.lines = append(n.lines, line)
	n.mu.Unlock()
	select {
	case n.wake <- struct{}{}:
	default:
	}
}

// wait waits until want is noticed after the previous match.
func (n *notices) wait(t *testing.T, want string) {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		n.mu.Lock()
		for i := n.cursor; i < len(n.lines); i++ {
			if n.lines[i] == want {
				n.cursor = i + 1
				n.mu.Unlock()
				return
			}
		}
		all := slices.Clone(n.lines)
		n.mu.Unlock()
		select {
		case <-n.wake:
		case <-deadline.C:
			t.Fatalf("no notice %q within %v; notices: %q", want, timeout, all)
		}
	}
}

func (n *notices) all() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Clone(n.lines)
}

// session is one debugging session attached to a job.
type session struct {
	t     *testing.T
	job   *testprog.Job
	d     *debugger.Debugger
	c     service.Client
	notes *notices
	conts []<-chan *api.DebuggerState // Continue channels, drained at cleanup
}

func attach(t *testing.T, job *testprog.Job) *session {
	t.Helper()
	grp, err := backend.Attach(job.Pid, nil, nil)
	if err != nil {
		t.Fatalf("attach %d: %v", job.Pid, err)
	}
	d, err := debugger.New(grp, debugger.Config{AttachPid: job.Pid, Executable: job.Bin, CheckGoVersion: true})
	if err != nil {
		_ = grp.Detach(false)
		t.Fatalf("debugger.New: %v", err)
	}
	s := &session{t: t, job: job, d: d, c: d.Client(), notes: &notices{wake: make(chan struct{}, 1)}}
	d.SetNoticeFunc(s.notes.add)
	// Runs before testprog's cleanup kills the job.
	t.Cleanup(s.cleanup)
	return s
}

// cleanup halts a continue still running and detaches, so no breakpoint
// is left when testprog kills the process.
func (s *session) cleanup() {
	if st, err := s.c.GetStateNonBlocking(); err == nil && st.Running {
		done := make(chan struct{})
		go func() {
			s.c.Halt()
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(timeout):
			s.t.Errorf("cleanup: Halt did not return within %v; releasing", timeout)
			s.d.Process().Release()
		}
	}
	for _, ch := range s.conts {
		for range ch {
		}
	}
	if err := s.c.Detach(false); err != nil {
		s.t.Errorf("cleanup: detach: %v", err)
	}
}

func (s *session) cont() <-chan *api.DebuggerState {
	ch := s.c.Continue()
	s.conts = append(s.conts, ch)
	return ch
}

// recv takes the next state of a Continue.
func (s *session) recv(ch <-chan *api.DebuggerState) *api.DebuggerState {
	s.t.Helper()
	select {
	case st, ok := <-ch:
		if !ok {
			s.t.Fatalf("Continue channel closed without a state")
		}
		return st
	case <-time.After(timeout):
		var events []string
		if s.job != nil {
			events = s.job.Events()
		}
		s.t.Fatalf("Continue gave no state within %v (notices %q, job events %q)", timeout, s.notes.all(), events)
	}
	return nil
}

// atTick continues to the breakpoint bp on main.tick.
func (s *session) atTick(bp *api.Breakpoint) *api.DebuggerState {
	s.t.Helper()
	st := s.recv(s.cont())
	if st.Err != nil {
		s.t.Fatalf("continue: %v", st.Err)
	}
	if st.CurrentThread == nil || st.CurrentThread.Breakpoint == nil || st.CurrentThread.Breakpoint.ID != bp.ID {
		s.t.Fatalf("continue stopped at %s, want breakpoint %d", describe(st), bp.ID)
	}
	return st
}

func describe(st *api.DebuggerState) string {
	if st == nil || st.CurrentThread == nil {
		return fmt.Sprintf("%+v", st)
	}
	th := st.CurrentThread
	fn := "?"
	if th.Function != nil {
		fn = th.Function.Name()
	}
	bp := "no breakpoint"
	if th.Breakpoint != nil {
		bp = fmt.Sprintf("breakpoint %d", th.Breakpoint.ID)
	}
	return fmt.Sprintf("%s:%d in %s (%s, stop reason %q)", th.File, th.Line, fn, bp, st.StopReason)
}

func (s *session) tickBreakpoint() *api.Breakpoint {
	s.t.Helper()
	bp, err := s.c.CreateBreakpoint(&api.Breakpoint{FunctionName: "main.tick"})
	if err != nil {
		s.t.Fatalf("CreateBreakpoint main.tick: %v", err)
	}
	if bp.FunctionName != "main.tick" || len(bp.Addrs) == 0 {
		s.t.Fatalf("breakpoint %+v, want one on main.tick", bp)
	}
	return bp
}

func TestBreakpointsAndInspection(t *testing.T) {
	job := testprog.Start(t, "counter")
	s := attach(t, job)
	c := s.c

	bp := s.tickBreakpoint()
	st := s.atTick(bp)

	// The stop is in tick(n) with the counter file at n-1: it is written
	// after each tick returns.
	v, err := c.EvalVariable(currentScope, "n", loadCfg)
	if err != nil {
		t.Fatalf("eval n: %v", err)
	}
	n, err := strconv.ParseInt(v.Value, 10, 64)
	if err != nil {
		t.Fatalf("n = %q: %v", v.Value, err)
	}
	if want := job.Counter() + 1; n != want {
		t.Errorf("n = %d, want counter+1 = %d", n, want)
	}
	args, err := c.ListFunctionArgs(currentScope, loadCfg)
	if err != nil || len(args) < 2 {
		t.Fatalf("ListFunctionArgs = %+v, %v; want n and label", args, err)
	}
	if label, err := c.EvalVariable(currentScope, "label", loadCfg); err != nil || label.Value != "tick" {
		t.Errorf("label = %+v, %v; want \"tick\"", label, err)
	}

	// User goroutines grouped by user location: the main goroutine is the
	// only one in main.tick; the four workers are user goroutines too.
	gs, groups, _, tooMany, err := c.ListGoroutinesWithFilter(0, 0,
		[]api.ListGoroutinesFilter{{Kind: api.GoroutineUser}},
		&api.GoroutineGroupingOptions{GroupBy: api.GoroutineUserLoc, MaxGroupMembers: 10}, nil)
	if err != nil {
		t.Fatalf("ListGoroutinesWithFilter: %v", err)
	}
	total, tickGroup := 0, false
	for _, g := range groups {
		total += g.Total
		if strings.HasSuffix(g.Name, " in main.tick") {
			tickGroup = true
			if g.Total != 1 || g.Count != 1 || gs[g.Offset].ID != st.SelectedGoroutine.ID {
				t.Errorf("group %+v: want the selected goroutine %d alone", g, st.SelectedGoroutine.ID)
			}
		}
	}
	if !tickGroup || total < 5 || tooMany {
		t.Errorf("groups %+v (too many %v): want a main.tick group and at least 5 user goroutines", groups, tooMany)
	}
	// Negated: no system goroutine is a user goroutine.
	sys, _, _, _, err := c.ListGoroutinesWithFilter(0, 0, []api.ListGoroutinesFilter{{Kind: api.GoroutineUser, Negated: true}}, nil, nil)
	if err != nil {
		t.Fatalf("ListGoroutinesWithFilter !user: %v", err)
	}
	all, _, err := c.ListGoroutines(0, 0)
	if err != nil || len(all) != total+len(sys) {
		t.Errorf("ListGoroutines: %d goroutines, %v; want %d user + %d system", len(all), err, total, len(sys))
	}

	frames, err := c.Stacktrace(st.SelectedGoroutine.ID, 20, 0, 0, &loadCfg)
	if err != nil {
		t.Fatalf("Stacktrace: %v", err)
	}
	if len(frames) < 2 || frames[0].Function.Name() != "main.tick" || frames[1].Function.Name() != "main.main" {
		t.Fatalf("stack %v, want main.tick called by main.main", frameNames(frames))
	}
	if frames[0].Var("n") == nil || frames[0].Var("label") == nil {
		t.Errorf("frame 0 arguments %+v: want n and label", frames[0].Arguments)
	}

	locs, _, err := c.FindLocation(currentScope, "main.go:25", true, nil)
	if err != nil {
		t.Fatalf("FindLocation main.go:25: %v", err)
	}
	if len(locs) != 1 || locs[0].Line != 25 || locs[0].Function == nil || locs[0].Function.Name() != "main.tick" {
		t.Errorf("FindLocation main.go:25 = %+v, want line 25 of main.tick", locs)
	}

	// Next goes to the following line of tick.
	line := st.CurrentThread.Line
	st, err = c.Next()
	if err != nil {
		t.Fatalf("Next: %v", err)
	}
	if th := st.CurrentThread; th == nil || th.Function == nil || th.Function.Name() != "main.tick" || th.Line <= line || st.NextInProgress {
		t.Fatalf("after next from line %d: %s (next in progress %v)", line, describe(st), st.NextInProgress)
	}

	// A function call, its result in the return values.
	c.SetReturnValuesLoadConfig(&loadCfg)
	st, err = c.Call(-1, "helper(3)", false)
	if err != nil {
		t.Fatalf("call helper(3): %v", err)
	}
	if th := st.CurrentThread; th == nil || len(th.ReturnValues) != 1 || th.ReturnValues[0].Value != "12" {
		t.Errorf("call helper(3): return values %+v, want 12", st.CurrentThread)
	}

	// A condition, then the breakpoint goes away.
	bp.Cond = "n%7 == 0" // as Delve prints it back
	if err := c.AmendBreakpoint(bp); err != nil {
		t.Fatalf("AmendBreakpoint: %v", err)
	}
	s.atTick(bp)
	if v, err := c.EvalVariable(currentScope, "n%7", loadCfg); err != nil || v.Value != "0" {
		t.Errorf("n%%7 at a conditional stop = %+v, %v; want 0", v, err)
	}
	if bps := userBreakpoints(t, c); len(bps) != 1 || bps[0].ID != bp.ID || bps[0].Cond != bp.Cond {
		t.Errorf("user breakpoints %+v, want %d with condition %q", bps, bp.ID, bp.Cond)
	}
	if _, err := c.ClearBreakpoint(bp.ID); err != nil {
		t.Fatalf("ClearBreakpoint: %v", err)
	}
	if bps := userBreakpoints(t, c); len(bps) != 0 {
		t.Errorf("user breakpoints left after clear: %+v", bps)
	}

	// Starlark's view: CallAPI with rpc2 types.
	var pid rpc2.ProcessPidOut
	if err := c.CallAPI("ProcessPid", &rpc2.ProcessPidIn{}, &pid); err != nil || pid.Pid != job.Pid {
		t.Errorf("CallAPI ProcessPid = %d, %v; want %d", pid.Pid, err, job.Pid)
	}
	var ev rpc2.EvalOut
	if err := c.CallAPI("Eval", &rpc2.EvalIn{Scope: currentScope, Expr: "label"}, &ev); err != nil || ev.Variable.Value != "tick" {
		t.Errorf("CallAPI Eval label = %+v, %v", ev.Variable, err)
	}
	var state rpc2.StateOut
	if err := c.CallAPI("State", &rpc2.StateIn{}, &state); err != nil || state.State.Pid != job.Pid {
		t.Errorf("CallAPI State = %+v, %v", state.State, err)
	}
	if err := c.CallAPI("NoSuchMethod", &rpc2.StateIn{}, &state); err == nil || err.Error() != "NoSuchMethod is not supported by dlv-listen" {
		t.Errorf("CallAPI NoSuchMethod: %v", err)
	}
}

// userBreakpoints lists the breakpoints with a positive ID (the
// unrecovered-panic and fatal-throw breakpoints have negative ones).
func userBreakpoints(t *testing.T, c service.Client) []*api.Breakpoint {
	t.Helper()
	bps, err := c.ListBreakpoints(false)
	if err != nil {
		t.Fatalf("ListBreakpoints: %v", err)
	}
	var r []*api.Breakpoint
	for _, bp := range bps {
		if bp.ID > 0 {
			r = append(r, bp)
		}
	}
	return r
}

func frameNames(frames []api.Stackframe) []string {
	var r []string
	for _, f := range frames {
		if f.Function != nil {
			r = append(r, f.Function.Name())
		} else {
			r = append(r, "?")
		}
	}
	return r
}

// TestJobControl: SIGTSTP while continuing, halt while stopped, continue
// while stopped, SIGCONT through the session's signal command.
func TestJobControl(t *testing.T) {
	job := testprog.Start(t, "counter")
	s := attach(t, job)
	c := s.c
	pid := job.Pid

	ch := s.cont()
	job.WaitAdvance(t, timeout)
	job.Signal(t, syscall.SIGTSTP)
	s.notes.wait(t, fmt.Sprintf("process %d stopped by SIGTSTP (job control); it stays stopped until SIGCONT", pid))
	job.WaitEvent(t, "stopped SIGTSTP", timeout)
	// The continue listens: still running as far as the client knows.
	if st, err := c.GetStateNonBlocking(); err != nil || !st.Running {
		t.Fatalf("GetStateNonBlocking while listening = %+v, %v; want Running", st, err)
	}

	st, err := c.Halt()
	if err != nil {
		t.Fatalf("Halt: %v", err)
	}
	if st.Running || st.CurrentThread == nil {
		t.Fatalf("Halt state %+v", st)
	}
	if st := s.recv(ch); st.Err != nil {
		t.Fatalf("halted continue: %v", st.Err)
	}
	want := fmt.Sprintf("process %d is stopped by SIGTSTP (job control)", pid)
	if got := s.d.JobState(); got != want {
		t.Errorf("JobState = %q, want %q", got, want)
	}
	if js := s.d.JobStatus(); js.State != jobapi.StateStopped || js.Signal != "SIGTSTP" || js.Text != want || js.Pid != pid {
		t.Errorf("JobStatus = %+v, want stopped by SIGTSTP, %q", js, want)
	}
	// Halted and inspectable, and still stopped.
	if _, _, err := c.ListGoroutines(0, 0); err != nil {
		t.Errorf("ListGoroutines while stopped: %v", err)
	}
	job.AssertFrozen(t, frozen)

	bp := s.tickBreakpoint()
	ch = s.cont()
	s.notes.wait(t, fmt.Sprintf("process %d is stopped by SIGTSTP (job control): waiting for SIGCONT (Ctrl-C halts)", pid))
	job.AssertFrozen(t, frozen)
	select {
	case st := <-ch:
		t.Fatalf("continue returned while the process is stopped: %s", describe(st))
	default:
	}

	sent, err := s.d.SendSignal("SIGCONT")
	if err != nil {
		t.Fatalf("signal SIGCONT: %v", err)
	}
	if want := fmt.Sprintf("sent SIGCONT to process %d", pid); sent.Text != want {
		t.Errorf("signal SIGCONT said %q, want %q", sent.Text, want)
	}
	s.notes.wait(t, fmt.Sprintf("process %d continued (SIGCONT)", pid))
	st = s.recv(ch)
	if st.Err != nil || st.CurrentThread == nil || st.CurrentThread.Breakpoint == nil || st.CurrentThread.Breakpoint.ID != bp.ID {
		t.Fatalf("after SIGCONT: %s, err %v; want breakpoint %d", describe(st), st.Err, bp.ID)
	}
	job.WaitEvent(t, "continued", timeout)
	if got, want := s.d.JobState(), fmt.Sprintf("process %d is running (no job-control stop)", pid); got != want {
		t.Errorf("JobState = %q, want %q", got, want)
	}
}

// TestDetachLeavesStopped: detaching from a process in a job-control stop
// leaves it stopped, and says so.
func TestDetachLeavesStopped(t *testing.T) {
	job := testprog.Start(t, "counter")
	s := attach(t, job)
	pid := job.Pid

	ch := s.cont()
	job.WaitAdvance(t, timeout)
	if line, err := s.d.Signal("tstp"); err != nil || line != fmt.Sprintf("sent SIGTSTP to process %d", pid) {
		t.Fatalf("Signal(tstp) = %q, %v", line, err)
	}
	s.notes.wait(t, fmt.Sprintf("process %d stopped by SIGTSTP (job control); it stays stopped until SIGCONT", pid))
	if _, err := s.c.Halt(); err != nil {
		t.Fatalf("Halt: %v", err)
	}
	s.recv(ch)
	if err := s.c.Detach(false); err != nil {
		t.Fatalf("Detach: %v", err)
	}
	s.notes.wait(t, fmt.Sprintf("process %d left stopped by SIGTSTP (job control)", pid))
	job.WaitState(t, 'T', timeout)
	job.AssertFrozen(t, frozen)
	if got, want := s.d.JobState(), fmt.Sprintf("process %d is detached; it was left stopped by SIGTSTP (job control)", pid); got != want {
		t.Errorf("JobState after detach = %q, want %q", got, want)
	}
	if _, err := s.d.Signal("CONT"); err == nil {
		t.Errorf("Signal after detach: no error")
	}
	if _, err := s.c.GetState(); err == nil {
		t.Errorf("GetState after detach: no error")
	}
}

func TestSignalNames(t *testing.T) {
	job := testprog.Start(t, "counter")
	s := attach(t, job)
	// SIGURG is harmless to a Go program (the runtime's preemption signal).
	for _, name := range []string{"SIGURG", "URG", "urg", "sigurg", strconv.Itoa(int(syscall.SIGURG))} {
		line, err := s.d.Signal(name)
		if want := fmt.Sprintf("sent SIGURG to process %d", job.Pid); err != nil || line != want {
			t.Errorf("Signal(%q) = %q, %v; want %q", name, line, err, want)
		}
	}
	for _, name := range []string{"SIGNOPE", "nope", "0", "65", ""} {
		_, err := s.d.Signal(name)
		if err == nil || (name != "" && !strings.Contains(err.Error(), strconv.Quote(name))) {
			t.Errorf("Signal(%q) error = %v, want one naming the input", name, err)
		}
	}
}

// TestUnsupported: what dlv-listen does not do answers with one clear
// error, never a crash or a silent zero.
func TestUnsupported(t *testing.T) {
	job := testprog.Start(t, "counter")
	s := attach(t, job)
	c := s.c

	st, ok := <-c.Rewind()
	if !ok || st == nil || !errors.Is(st.Err, debugger.ErrNotRecording) {
		t.Errorf("Rewind state %+v, want Err %v", st, debugger.ErrNotRecording)
	}
	if _, err := c.Checkpoint("here"); !errors.Is(err, debugger.ErrNotRecording) {
		t.Errorf("Checkpoint: %v", err)
	}
	if _, err := c.ListCheckpoints(); !errors.Is(err, debugger.ErrNotRecording) {
		t.Errorf("ListCheckpoints: %v", err)
	}
	if _, err := c.ReverseNext(); !errors.Is(err, debugger.ErrNotRecording) {
		t.Errorf("ReverseNext: %v", err)
	}
	if _, err := c.Restart(false); err == nil || err.Error() != "dlv-listen cannot restart a process it attached to; detach and attach again" {
		t.Errorf("Restart: %v", err)
	}
	if c.Recorded() || c.IsMulticlient() {
		t.Errorf("Recorded/IsMulticlient: want false")
	}
	if err := c.CallAPI("Checkpoint", &rpc2.CheckpointIn{}, &rpc2.CheckpointOut{}); !errors.Is(err, debugger.ErrNotRecording) {
		t.Errorf("CallAPI Checkpoint: %v", err)
	}
	if err := c.CallAPI("CreateEBPFTracepoint", &rpc2.CreateEBPFTracepointIn{FunctionName: "main.tick"}, &rpc2.CreateEBPFTracepointOut{}); !errors.Is(err, debugger.ErrEBPF) {
		t.Errorf("CallAPI CreateEBPFTracepoint: %v", err)
	}
	v := c.GetVersion()
	if v == nil || v.APIVersion != 2 || v.Backend != "seize" || !strings.HasPrefix(v.DelveVersion, "dlv-listen ") ||
		!strings.HasSuffix(v.DelveVersion, "(Delve 1.27.2 proc)") || !strings.Contains(v.TargetGoVersion, "go1.") {
		t.Errorf("GetVersion = %+v", v)
	}
	if !c.AttachedToExistingProcess() || c.ProcessPid() != job.Pid || c.LastModified().IsZero() {
		t.Errorf("AttachedToExistingProcess %v, ProcessPid %d, LastModified %v", c.AttachedToExistingProcess(), c.ProcessPid(), c.LastModified())
	}
}

// TestTracepoints: Continue goes on over tracepoints, sending each stop,
// and ends at the first breakpoint that is not one.
func TestTracepoints(t *testing.T) {
	job := testprog.Start(t, "counter")
	s := attach(t, job)
	c := s.c
	bp := s.tickBreakpoint()
	s.atTick(bp)
	v, err := c.EvalVariable(currentScope, "n", loadCfg)
	if err != nil {
		t.Fatalf("eval n: %v", err)
	}
	n, _ := strconv.Atoi(v.Value)
	if _, err := c.ClearBreakpoint(bp.ID); err != nil {
		t.Fatalf("ClearBreakpoint: %v", err)
	}
	tp, err := c.CreateBreakpoint(&api.Breakpoint{FunctionName: "main.helper", Tracepoint: true, LoadArgs: &loadCfg})
	if err != nil {
		t.Fatalf("tracepoint on main.helper: %v", err)
	}
	wbp, err := c.CreateBreakpoint(&api.Breakpoint{FunctionName: "main.writeCounter"})
	if err != nil {
		t.Fatalf("breakpoint on main.writeCounter: %v", err)
	}

	ch := s.cont()
	st := s.recv(ch)
	th := st.CurrentThread
	if st.Err != nil || th == nil || th.Breakpoint == nil || th.Breakpoint.ID != tp.ID || th.BreakpointInfo == nil {
		t.Fatalf("first stop: %s, err %v; want tracepoint %d", describe(st), st.Err, tp.ID)
	}
	x := slices.IndexFunc(th.BreakpointInfo.Arguments, func(v api.Variable) bool { return v.Name == "x" })
	if x < 0 || th.BreakpointInfo.Arguments[x].Value != strconv.Itoa(2*n) {
		t.Errorf("tracepoint arguments %+v, want x = %d", th.BreakpointInfo.Arguments, 2*n)
	}
	st = s.recv(ch)
	if st.Err != nil || st.CurrentThread == nil || st.CurrentThread.Breakpoint == nil || st.CurrentThread.Breakpoint.ID != wbp.ID {
		t.Fatalf("second stop: %s, err %v; want breakpoint %d", describe(st), st.Err, wbp.ID)
	}
	select {
	case st, ok := <-ch:
		if ok {
			t.Fatalf("Continue sent a state after a plain breakpoint: %s", describe(st))
		}
	case <-time.After(timeout):
		t.Fatalf("Continue channel not closed after a plain breakpoint")
	}
}

// TestExit: the end of the process ends Continue with the state and error
// Delve's terminal expects.
func TestExit(t *testing.T) {
	job := testprog.Start(t, "counter")
	s := attach(t, job)
	c := s.c
	bp := s.tickBreakpoint()
	s.atTick(bp)
	// main.main stops after *iterations ticks: make this one the last.
	if err := c.SetVariable(api.EvalScope{GoroutineID: -1, Frame: 1}, "*iterations", "1"); err != nil {
		t.Fatalf("set *iterations: %v", err)
	}
	if _, err := c.ClearBreakpoint(bp.ID); err != nil {
		t.Fatalf("ClearBreakpoint: %v", err)
	}
	st := s.recv(s.cont())
	want := fmt.Sprintf("Process %d has exited with status 0", job.Pid)
	if !st.Exited || st.ExitStatus != 0 || st.Err == nil || st.Err.Error() != want {
		t.Fatalf("state at exit %+v (err %v), want Exited with %q", st, st.Err, want)
	}
	if got := job.WaitExit(t, timeout); got != "exited 0" {
		t.Errorf("jobparent saw %q, want \"exited 0\"", got)
	}
	_, err := c.GetState()
	var serr rpc.ServerError
	if !errors.As(err, &serr) || !strings.Contains(err.Error(), "has exited with status 0") {
		t.Errorf("GetState after exit: %T %v; want an rpc.ServerError saying the process exited", err, err)
	}
	if got, want := s.d.JobState(), fmt.Sprintf("process %d has exited with status 0", job.Pid); got != want {
		t.Errorf("JobState = %q, want %q", got, want)
	}
	if _, err := s.d.Signal("CONT"); err == nil {
		t.Errorf("Signal after exit: no error")
	}
}

func TestMain(m *testing.M) {
	code := m.Run()
	testprog.RemoveBuilds()
	os.Exit(code)
}

// A SIGCONT from elsewhere (another shell) while the session holds a
// stopped process: the next continue does not claim to wait for one, and
// the continue is announced.
func TestSigcontFromElsewhereWhileHeld(t *testing.T) {
	job := testprog.Start(t, "counter")
	job.Signal(t, syscall.SIGTSTP)
	job.WaitEvent(t, "stopped SIGTSTP", timeout)
	s := attach(t, job)
	pid := job.Pid
	bp := s.tickBreakpoint()
	job.Signal(t, syscall.SIGCONT)
	s.atTick(bp)
	s.notes.wait(t, fmt.Sprintf("process %d continued (SIGCONT)", pid))
	for _, n := range s.notes.all() {
		if strings.Contains(n, "waiting for SIGCONT") {
			t.Fatalf("continue claimed to wait for a SIGCONT that had come: %q", s.notes.all())
		}
	}
}

// A SIGCONT from elsewhere while the session is idle at a prompt, holding a
// stopped process, is announced when it comes: no command runs meanwhile.
func TestSigcontWhileIdleIsAnnounced(t *testing.T) {
	job := testprog.Start(t, "counter")
	job.Signal(t, syscall.SIGTSTP)
	job.WaitEvent(t, "stopped SIGTSTP", timeout)
	s := attach(t, job)
	job.Signal(t, syscall.SIGCONT)
	s.notes.wait(t, fmt.Sprintf("process %d continued (SIGCONT)", job.Pid))
	job.AssertFrozen(t, 300*time.Millisecond) // announced, still held
}

// TestCloseWaitsForRelease: a release on a signal (Process.Release, from
// another goroutine, as on SIGTERM) while tracepoints are being hit ends
// the continue at once, since the process reads as detached from then on;
// Close, called right after, returns only once the process is let go, so
// that a front end that exits then leaves no breakpoint or trap behind.
func TestCloseWaitsForRelease(t *testing.T) {
	job := testprog.Start(t, "counter")
	s := attach(t, job)
	if _, err := s.c.CreateBreakpoint(&api.Breakpoint{FunctionName: "main.tick", Tracepoint: true}); err != nil {
		t.Fatalf("tracepoint on main.tick: %v", err)
	}
	addrs, err := s.d.Client().FunctionReturnLocations("main.tick")
	if err != nil || len(addrs) == 0 {
		t.Fatalf("return locations of main.tick: %v, %v", addrs, err)
	}
	for _, addr := range addrs {
		if _, err := s.c.CreateBreakpoint(&api.Breakpoint{Addr: addr, TraceReturn: true}); err != nil {
			t.Fatalf("return tracepoint at %#x: %v", addr, err)
		}
	}
	ch := s.cont()
	s.recv(ch) // the tracepoints are being hit
	go s.d.Process().Release()
	for range ch {
	}
	if err := s.d.Close(false); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, tracer, err := testprog.ProcStat(job.Pid); err != nil || tracer != 0 {
		t.Fatalf("Close returned with process %d traced by %d (%v)", job.Pid, tracer, err)
	}
	// main.tick runs every millisecond: these ticks would meet any int3
	// left at its entry or returns, or a trap left in flight.
	for i := 0; i < 20; i++ {
		job.WaitAdvance(t, timeout)
	}
	for _, ev := range job.Events() {
		if strings.HasPrefix(ev, "signaled") || strings.HasPrefix(ev, "exited") {
			t.Fatalf("the process ended after the release: %q", ev)
		}
	}
}
