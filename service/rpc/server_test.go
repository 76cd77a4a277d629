package rpc_test

// Tests of the JSON-RPC server through Delve's own rpc2 client, against real
// processes: internal/testprog's counter, which calls main.tick(n, "tick")
// every millisecond under jobparent.

import (
	"bytes"
	"errors"
	"fmt"
	"go/token"
	"net/rpc"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-delve/delve/pkg/terminal"
	"github.com/go-delve/delve/service/api"
	"github.com/go-delve/delve/service/rpc2"

	"github.com/dlv-listen/dlv-listen/backend"
	"github.com/dlv-listen/dlv-listen/internal/testprog"
	"github.com/dlv-listen/dlv-listen/service/debugger"
	"github.com/dlv-listen/dlv-listen/service/jobapi"
	dlvrpc "github.com/dlv-listen/dlv-listen/service/rpc"
)

var timeout = testprog.Timeout(10 * time.Second) // deadline for what should happen at once

var loadCfg = api.LoadConfig{FollowPointers: true, MaxVariableRecurse: 1, MaxStringLen: 64, MaxArrayValues: 64, MaxStructFields: -1}

// currentScope is the selected goroutine's top frame.
var currentScope = api.EvalScope{GoroutineID: -1}

type session struct {
	t     *testing.T
	job   *testprog.Job
	d     *debugger.Debugger
	c     *rpc2.RPCClient
	conts []<-chan *api.DebuggerState // Continue channels, drained at cleanup
}

// attach attaches to job and connects an rpc2 client to a server over the
// session.
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
	c, closeClient := dlvrpc.Pipe(dlvrpc.NewServer(d, nil))
	s := &session{t: t, job: job, d: d, c: c}
	// Runs before testprog's cleanup kills the job.
	t.Cleanup(func() {
		s.cleanup()
		closeClient()
	})
	return s
}

// cleanup halts a continue still running and detaches (in-process: the test
// may have detached or closed the connection already), so no breakpoint is
// left when testprog kills the process.
func (s *session) cleanup() {
	ic := s.d.Client()
	if st, err := ic.GetStateNonBlocking(); err == nil && st.Running {
		done := make(chan struct{})
		go func() {
			ic.Halt()
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
	if _, err := ic.GetState(); err == nil {
		if err := ic.Detach(false); err != nil {
			s.t.Errorf("cleanup: detach: %v", err)
		}
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
		s.t.Fatalf("Continue gave no state within %v (job events %q)", timeout, s.job.Events())
	}
	return nil
}

// closed waits until a Continue channel is closed, returning the states
// still sent.
func (s *session) closed(ch <-chan *api.DebuggerState) []*api.DebuggerState {
	s.t.Helper()
	var sts []*api.DebuggerState
	deadline := time.After(timeout)
	for {
		select {
		case st, ok := <-ch:
			if !ok {
				return sts
			}
			sts = append(sts, st)
		case <-deadline:
			s.t.Fatalf("Continue channel not closed within %v (%d states)", timeout, len(sts))
		}
	}
}

// atBreakpoint continues to the breakpoint bp.
func (s *session) atBreakpoint(bp *api.Breakpoint) *api.DebuggerState {
	s.t.Helper()
	st := s.recv(s.cont())
	if st.Err != nil {
		s.t.Fatalf("continue: %v", st.Err)
	}
	if th := st.CurrentThread; th == nil || th.Breakpoint == nil || th.Breakpoint.ID != bp.ID {
		s.t.Fatalf("continue stopped at %s, want breakpoint %d", describe(st), bp.ID)
	}
	return st
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

// halt halts from another goroutine, as Delve's terminal does on Ctrl-C,
// and checks it returns.
func (s *session) halt() {
	s.t.Helper()
	type result struct {
		st  *api.DebuggerState
		err error
	}
	done := make(chan result, 1)
	go func() {
		st, err := s.c.Halt()
		done <- result{st, err}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			s.t.Fatalf("Halt: %v", r.err)
		}
	case <-time.After(timeout):
		s.t.Fatalf("Halt did not return within %v", timeout)
	}
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

func userBreakpoints(t *testing.T, c *rpc2.RPCClient) []*api.Breakpoint {
	t.Helper()
	bps, err := c.ListBreakpoints(false)
	if err != nil {
		t.Fatalf("ListBreakpoints: %v", err)
	}
	return slices.DeleteFunc(bps, func(bp *api.Breakpoint) bool { return bp.ID < 0 })
}

func TestRPCClient(t *testing.T) {
	job := testprog.Start(t, "counter")
	s := attach(t, job)
	c := s.c

	if v := c.GetVersion(); v == nil || v.APIVersion != 2 || !strings.Contains(v.DelveVersion, "dlv-listen") {
		t.Errorf("GetVersion = %+v, want API version 2 from dlv-listen", v)
	}
	if pid := c.ProcessPid(); pid != job.Pid {
		t.Errorf("ProcessPid = %d, want %d", pid, job.Pid)
	}
	if !c.AttachedToExistingProcess() || c.IsMulticlient() || c.Recorded() {
		t.Errorf("AttachedToExistingProcess %v, IsMulticlient %v, Recorded %v; want true, false, false",
			c.AttachedToExistingProcess(), c.IsMulticlient(), c.Recorded())
	}
	if st, err := c.GetState(); err != nil || st.Pid != job.Pid || st.Running {
		t.Fatalf("GetState = %+v, %v", st, err)
	}

	bp := s.tickBreakpoint()
	if got, err := c.GetBreakpoint(bp.ID); err != nil || got.FunctionName != "main.tick" {
		t.Errorf("GetBreakpoint(%d) = %+v, %v", bp.ID, got, err)
	}
	st := s.atBreakpoint(bp)

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
	if args, err := c.ListFunctionArgs(currentScope, loadCfg); err != nil || len(args) < 2 {
		t.Errorf("ListFunctionArgs = %+v, %v; want n and label", args, err)
	}
	if _, err := c.ListLocalVariables(currentScope, loadCfg); err != nil {
		t.Errorf("ListLocalVariables: %v", err)
	}
	if regs, err := c.ListThreadRegisters(0, false); err != nil || len(regs) == 0 {
		t.Errorf("ListThreadRegisters = %d registers, %v", len(regs), err)
	}
	if ths, err := c.ListThreads(); err != nil || len(ths) < 2 {
		t.Errorf("ListThreads = %d threads, %v", len(ths), err)
	} else if th, err := c.GetThread(ths[0].ID); err != nil || th.ID != ths[0].ID {
		t.Errorf("GetThread(%d) = %+v, %v", ths[0].ID, th, err)
	}

	// Goroutines, filtered and grouped.
	all, _, err := c.ListGoroutines(0, 0)
	if err != nil || len(all) < 6 {
		t.Fatalf("ListGoroutines: %d goroutines, %v", len(all), err)
	}
	gs, groups, _, _, err := c.ListGoroutinesWithFilter(0, 0,
		[]api.ListGoroutinesFilter{{Kind: api.GoroutineUser}},
		&api.GoroutineGroupingOptions{GroupBy: api.GoroutineUserLoc, MaxGroupMembers: 10}, nil)
	if err != nil {
		t.Fatalf("ListGoroutinesWithFilter: %v", err)
	}
	tickGroup := slices.IndexFunc(groups, func(g api.GoroutineGroup) bool { return strings.HasSuffix(g.Name, " in main.tick") })
	if tickGroup < 0 || groups[tickGroup].Total != 1 || gs[groups[tickGroup].Offset].ID != st.SelectedGoroutine.ID {
		t.Errorf("groups %+v: want the selected goroutine %d alone in main.tick", groups, st.SelectedGoroutine.ID)
	}

	frames, err := c.Stacktrace(st.SelectedGoroutine.ID, 20, 0, 0, &loadCfg)
	if err != nil {
		t.Fatalf("Stacktrace: %v", err)
	}
	if len(frames) < 2 || frames[0].Function.Name() != "main.tick" || frames[1].Function.Name() != "main.main" {
		t.Fatalf("stack %+v, want main.tick called by main.main", frames)
	}
	if frames[0].Var("n") == nil {
		t.Errorf("frame 0 arguments %+v: want n", frames[0].Arguments)
	}

	locs, _, err := c.FindLocation(currentScope, "main.tick", false, nil)
	if err != nil || len(locs) != 1 || locs[0].Function == nil || locs[0].Function.Name() != "main.tick" {
		t.Fatalf("FindLocation main.tick = %+v, %v", locs, err)
	}
	if asm, err := c.DisassemblePC(currentScope, locs[0].PC, api.IntelFlavour); err != nil || len(asm) == 0 {
		t.Errorf("DisassemblePC: %d instructions, %v", len(asm), err)
	}
	if fns, err := c.ListFunctions("^main\\.tick$", 0); err != nil || len(fns) != 1 {
		t.Errorf("ListFunctions main.tick = %q, %v", fns, err)
	}
	if mem, _, err := c.ExamineMemory(locs[0].PC, 8); err != nil || len(mem) != 8 {
		t.Errorf("ExamineMemory = %x, %v", mem, err)
	}

	// A return value through Next then the breakpoint goes.
	line := st.CurrentThread.Line
	st, err = c.Next()
	if err != nil || st.CurrentThread == nil || st.CurrentThread.Line <= line {
		t.Fatalf("Next from line %d: %s, %v", line, describe(st), err)
	}
	if _, err := c.ClearBreakpoint(bp.ID); err != nil {
		t.Fatalf("ClearBreakpoint: %v", err)
	}

	// What the terminal's trace command needs: where main.tick returns.
	addrs, err := c.FunctionReturnLocations("main.tick")
	if err != nil || len(addrs) == 0 {
		t.Fatalf("FunctionReturnLocations(main.tick) = %#x, %v; want addresses", addrs, err)
	}
	tp, err := c.CreateBreakpoint(&api.Breakpoint{FunctionName: "main.tick", Tracepoint: true, LoadArgs: &loadCfg})
	if err != nil {
		t.Fatalf("tracepoint on main.tick: %v", err)
	}
	var rets []int
	for _, addr := range addrs {
		rbp, err := c.CreateBreakpoint(&api.Breakpoint{Addr: addr, TraceReturn: true, Line: -1, LoadArgs: &loadCfg})
		if err != nil {
			t.Fatalf("return tracepoint at %#x: %v", addr, err)
		}
		rets = append(rets, rbp.ID)
	}

	// The rpc2 client continues over tracepoints; every state is one, until
	// a halt ends the loop.
	ch := s.cont()
	sawCall, sawReturn := false, false
	for i := 0; i < 6; i++ {
		st := s.recv(ch)
		th := st.CurrentThread
		if st.Err != nil || th == nil || th.Breakpoint == nil {
			t.Fatalf("trace stop %d: %s, %v; want a tracepoint", i, describe(st), st.Err)
		}
		switch {
		case th.Breakpoint.ID == tp.ID:
			sawCall = true
			if th.BreakpointInfo == nil || !slices.ContainsFunc(th.BreakpointInfo.Arguments, func(v api.Variable) bool { return v.Name == "label" && v.Value == "tick" }) {
				t.Errorf("tracepoint arguments %+v: want label = \"tick\"", th.BreakpointInfo)
			}
		case slices.Contains(rets, th.Breakpoint.ID):
			sawReturn = true
			if len(th.ReturnValues) == 0 {
				t.Errorf("return tracepoint without return values: %+v", th)
			}
		default:
			t.Fatalf("trace stop %d at breakpoint %d, want %d or %v", i, th.Breakpoint.ID, tp.ID, rets)
		}
	}
	if !sawCall || !sawReturn {
		t.Errorf("trace stops: call %v, return %v; want both", sawCall, sawReturn)
	}
	s.halt()
	sts := s.closed(ch)
	if len(sts) == 0 {
		t.Fatalf("no state after the halt")
	}
	if last := sts[len(sts)-1]; last.Err != nil || (last.CurrentThread != nil && last.CurrentThread.Breakpoint != nil &&
		(last.CurrentThread.Breakpoint.Tracepoint || last.CurrentThread.Breakpoint.TraceReturn)) {
		t.Errorf("last state after the halt: %s, %v; want no tracepoint", describe(last), last.Err)
	}
	for _, id := range append(rets, tp.ID) {
		if _, err := c.ClearBreakpoint(id); err != nil {
			t.Fatalf("ClearBreakpoint %d: %v", id, err)
		}
	}
	if bps := userBreakpoints(t, c); len(bps) != 0 {
		t.Fatalf("breakpoints left: %+v", bps)
	}

	// Halt while a continue runs: the continue returns too.
	ch = s.cont()
	job.WaitAdvance(t, timeout) // the process runs: the counter moves
	if st, err := c.GetStateNonBlocking(); err != nil || !st.Running {
		t.Fatalf("GetStateNonBlocking during a continue = %+v, %v; want Running", st, err)
	}
	s.halt()
	if sts := s.closed(ch); len(sts) != 1 || sts[0].Err != nil {
		t.Errorf("continue after a halt: %d states (%v); want one without error", len(sts), sts)
	}

	// dlv-listen's job-control method.
	var out jobapi.JobStateOut
	if err := c.CallAPI("JobState", jobapi.JobStateIn{}, &out); err != nil {
		t.Fatalf("JobState: %v", err)
	}
	if want := s.d.JobState(); out.JobState.Text != want || out.JobState.State != jobapi.StateRunning || out.JobState.Pid != job.Pid {
		t.Errorf("JobState = %+v, want running, %q", out.JobState, want)
	}

	// Errors arrive as their text.
	_, err = c.Restart(false)
	var serr rpc.ServerError
	if !errors.As(err, &serr) || err.Error() != debugger.ErrRestartAttached.Error() {
		t.Errorf("Restart: %T %v; want rpc.ServerError %q", err, err, debugger.ErrRestartAttached)
	}
	if _, err := c.ListCheckpoints(); err == nil || err.Error() != debugger.ErrNotRecording.Error() {
		t.Errorf("ListCheckpoints: %v, want %q", err, debugger.ErrNotRecording)
	}
	if err := c.CreateEBPFTracepoint("main.tick"); err == nil || err.Error() != debugger.ErrEBPF.Error() {
		t.Errorf("CreateEBPFTracepoint: %v, want %q", err, debugger.ErrEBPF)
	}
	if tps, err := c.GetBufferedTracepoints(&loadCfg); err != nil || len(tps) != 0 {
		t.Errorf("GetBufferedTracepoints = %+v, %v; want none", tps, err)
	}
	if err := c.CallAPI("NoSuchMethod", struct{}{}, &struct{}{}); err == nil {
		t.Errorf("NoSuchMethod: no error")
	}

	// Detach leaves the process running, untraced.
	if err := c.Detach(false); err != nil {
		t.Fatalf("Detach: %v", err)
	}
	if tracer := tracerPid(t, job.Pid); tracer != 0 {
		t.Errorf("TracerPid %d after detach, want 0", tracer)
	}
	job.WaitAdvance(t, timeout)
}

// TestHaltBetweenTraceStops: the rpc2 client continues again after a stop
// at tracepoints only; a halt that comes between the two continues, when
// nothing runs, still ends the loop.
func TestHaltBetweenTraceStops(t *testing.T) {
	job := testprog.Start(t, "counter")
	s := attach(t, job)
	c := s.c
	tp, err := c.CreateBreakpoint(&api.Breakpoint{FunctionName: "main.tick", Tracepoint: true})
	if err != nil {
		t.Fatalf("tracepoint on main.tick: %v", err)
	}
	// One continue of the loop, as the rpc2 client sends it.
	command := func(name string) *api.DebuggerState {
		t.Helper()
		var out rpc2.CommandOut
		if err := c.CallAPI("Command", api.DebuggerCommand{Name: name}, &out); err != nil {
			t.Fatalf("Command %s: %v", name, err)
		}
		return &out.State
	}
	st := command(api.Continue)
	if th := st.CurrentThread; th == nil || th.Breakpoint == nil || th.Breakpoint.ID != tp.ID {
		t.Fatalf("continue stopped at %s, want tracepoint %d", describe(st), tp.ID)
	}
	pc := st.CurrentThread.PC
	s.halt()
	// The next continue does not resume: it answers where the process is,
	// without the tracepoint, so the client's loop ends.
	st = command(api.Continue)
	if th := st.CurrentThread; th == nil || th.Breakpoint != nil || th.PC != pc || st.Exited {
		t.Fatalf("continue after a halt between trace stops: %s at %#x, want no breakpoint at %#x", describe(st), th.PC, pc)
	}
	// Only once: the following continue runs to the tracepoint again.
	if st = command(api.Continue); st.CurrentThread == nil || st.CurrentThread.Breakpoint == nil || st.CurrentThread.Breakpoint.ID != tp.ID {
		t.Fatalf("second continue stopped at %s, want tracepoint %d", describe(st), tp.ID)
	}
	// A next in between forgets the halt.
	s.halt()
	if _, err := c.Next(); err != nil {
		t.Fatalf("Next: %v", err)
	}
	if st = command(api.Continue); st.CurrentThread == nil || st.CurrentThread.Breakpoint == nil || st.CurrentThread.Breakpoint.ID != tp.ID {
		t.Fatalf("continue after a next stopped at %s, want tracepoint %d", describe(st), tp.ID)
	}
}

// TestExit: the end of the process ends Continue with the state and error
// Delve's terminal expects, as on Delve's own server.
func TestExit(t *testing.T) {
	job := testprog.Start(t, "counter")
	s := attach(t, job)
	c := s.c
	bp := s.tickBreakpoint()
	s.atBreakpoint(bp)
	// main.main stops after *iterations ticks: make this one the last.
	if err := c.SetVariable(api.EvalScope{GoroutineID: -1, Frame: 1}, "*iterations", "1"); err != nil {
		t.Fatalf("set *iterations: %v", err)
	}
	if _, err := c.ClearBreakpoint(bp.ID); err != nil {
		t.Fatalf("ClearBreakpoint: %v", err)
	}
	ch := s.cont()
	st := s.recv(ch)
	want := fmt.Sprintf("Process %d has exited with status 0", job.Pid)
	if !st.Exited || st.ExitStatus != 0 || st.Err == nil || st.Err.Error() != want {
		t.Fatalf("state at exit %+v (err %v), want Exited with %q", st, st.Err, want)
	}
	if sts := s.closed(ch); len(sts) != 0 {
		t.Errorf("states after the exit: %+v", sts)
	}
	if got := job.WaitExit(t, timeout); got != "exited 0" {
		t.Errorf("jobparent saw %q, want \"exited 0\"", got)
	}
	_, err := c.GetState()
	var serr rpc.ServerError
	if !errors.As(err, &serr) || err.Error() != want {
		t.Errorf("GetState after exit: %T %v; want rpc.ServerError %q", err, err, want)
	}
	var out jobapi.JobStateOut
	if err := c.CallAPI("JobState", jobapi.JobStateIn{}, &out); err != nil ||
		out.JobState.State != jobapi.StateExited || out.JobState.Text != fmt.Sprintf("process %d has exited with status 0", job.Pid) {
		t.Errorf("JobState after exit: %+v, %v", out.JobState, err)
	}
}

// TestTerminalTrace runs Delve's terminal commands on the pipe client: trace
// asserts its client is an *rpc2.RPCClient.
func TestTerminalTrace(t *testing.T) {
	s := attach(t, testprog.Start(t, "counter"))
	term, cmds, buf := s.terminal()

	if err := cmds.Call("trace main.tick", term); err != nil {
		t.Fatalf("trace main.tick: %v\n%s", err, buf.String())
	}
	if err := cmds.Call("break main.writeCounter", term); err != nil {
		t.Fatalf("break main.writeCounter: %v\n%s", err, buf.String())
	}
	// The tracepoints print, then the continue ends at writeCounter.
	if err := cmds.Call("continue", term); err != nil {
		t.Fatalf("continue: %v\n%s", err, buf.String())
	}
	out := buf.String()
	for _, re := range []string{
		`(?m)^Tracepoint \d+ set at 0x[0-9a-f]+ for main\.tick\(\) `,
		`(?m)^> goroutine\(\d+\): main\.tick\(\d+, "tick"\)$`,
		`(?m)^>> goroutine\(\d+\): main\.tick => \(\d+\)$`,
		`(?m)^> \[Breakpoint \d+\] main\.writeCounter\(\) `,
	} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("terminal output does not match %s:\n%s", re, out)
		}
	}
}

// TestMethods: every method Delve's rpc2 client calls is served, with the
// argument and reply net/rpc needs.
func TestMethods(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skipf("finds Delve's rpc2 client source with the go command: %v", err)
	}
	dir, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/go-delve/delve").Output()
	if err != nil {
		t.Fatalf("go list delve: %v", err)
	}
	src, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(dir)), "service", "rpc2", "client.go"))
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, m := range regexp.MustCompile(`c\.(?:call|callWhileDrainingEvents)\("(\w+)"`).FindAllSubmatch(src, -1) {
		names[string(m[1])] = true
	}
	if len(names) < 50 {
		t.Fatalf("found only %d methods in rpc2's client", len(names))
	}
	// dlv-listen's own methods.
	for _, name := range []string{"JobState", "Signal", "JobEvents", "GetEvents", "SetApiVersion"} {
		names[name] = true
	}
	typ := dlvrpc.ReceiverType()
	errType := reflect.TypeFor[error]()
	// net/rpc skips, with only a log line, a method whose argument or
	// reply type is not exported.
	exported := func(t reflect.Type) bool {
		if t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		return t.Name() == "" || token.IsExported(t.Name())
	}
	for name := range names {
		m, ok := typ.MethodByName(name)
		if !ok {
			t.Errorf("rpc2 method %s is not served", name)
			continue
		}
		ft := m.Type
		if ft.NumIn() != 3 || ft.In(2).Kind() != reflect.Pointer || ft.NumOut() != 1 || ft.Out(0) != errType {
			t.Errorf("method %s has type %v, want func(In, *Out) error", name, ft)
		} else if !exported(ft.In(1)) || !exported(ft.In(2)) {
			t.Errorf("method %s has type %v: net/rpc serves only exported argument and reply types", name, ft)
		}
	}
}

func tracerPid(t *testing.T, pid int) int {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(l, "TracerPid:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			return n
		}
	}
	t.Fatalf("no TracerPid in /proc/%d/status", pid)
	return 0
}

func TestMain(m *testing.M) {
	code := m.Run()
	testprog.RemoveBuilds()
	os.Exit(code)
}

// TestEventsEndEvenWhenRefused: Delve's rpc2 client drains GetEvents until
// EventStopped during a command with events; a command refused before it
// runs still ends the drain (else the client would wait forever).
func TestEventsEndEvenWhenRefused(t *testing.T) {
	job := testprog.Start(t, "counter")
	s := attach(t, job)
	var mu sync.Mutex
	var kinds []api.EventKind
	s.c.SetEventsFn(func(ev *api.Event) {
		mu.Lock()
		kinds = append(kinds, ev.Kind)
		mu.Unlock()
	})
	done := make(chan error, 1)
	go func() {
		// No return-value load configuration: refused before it runs.
		_, err := s.c.Call(-1, "main.helper(1)", false)
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "ReturnInfoLoadConfig") {
			t.Errorf("Call without a load configuration: %v", err)
		}
	case <-time.After(timeout):
		t.Fatalf("Call with events did not return within %v", timeout)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(kinds) == 0 || kinds[len(kinds)-1] != api.EventStopped {
		t.Errorf("events %v, want the drain ended by EventStopped", kinds)
	}
}

// TestTerminalDump: Delve's terminal `dump` over JSON-RPC prints its
// progress and writes a core file; a destination that cannot be written is
// one error line naming it.
func TestTerminalDump(t *testing.T) {
	s := attach(t, testprog.Start(t, "counter"))
	term, cmds, buf := s.terminal()

	path := filepath.Join(t.TempDir(), "core")
	if err := cmds.Call("dump "+path, term); err != nil {
		t.Fatalf("dump: %v\n%s", err, buf.String())
	}
	out := buf.String()
	m := regexp.MustCompile(`Dumping memory (\d+) / (\d+)\.\.\.\n$`).FindStringSubmatch(out)
	if m == nil || m[1] != m[2] || m[1] == "0" || strings.Contains(out, "error") {
		t.Fatalf("dump output %q, want the progress ending with all memory dumped", out)
	}
	if fi, err := os.Stat(path); err != nil || fi.Size() < 1<<20 {
		t.Fatalf("core file: %v, %v", fi, err)
	}
	bad := filepath.Join(t.TempDir(), "nodir", "core")
	err := cmds.Call("dump "+bad, term)
	if want := "cannot dump to " + bad + ": no such file or directory"; err == nil || err.Error() != want {
		t.Fatalf("dump to a missing directory: %v, want %q", err, want)
	}
	if _, err := s.c.GetState(); err != nil {
		t.Fatalf("state after the refused dump: %v", err)
	}
}

// terminal runs Delve's terminal on the session's client, its output in
// the buffer returned; it is closed at cleanup.
func (s *session) terminal() (*terminal.Term, *terminal.Commands, *bytes.Buffer) {
	s.t.Setenv("TERM", "dumb")
	term := terminal.New(s.c, nil, true)
	s.t.Cleanup(func() { term.Close() })
	buf := new(bytes.Buffer)
	term.RedirectTo(buf)
	return term, terminal.DebugCommands(s.c), buf
}
