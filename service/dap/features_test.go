//go:build linux

package dap

import (
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-dap"

	"github.com/dlv-listen/dlv-listen/internal/testprog"
)

// TestBreakpointKindsAndEdits: conditional breakpoint, logpoint, function
// breakpoint, setVariable, evaluate with call, the dlv repl commands,
// readMemory/writeMemory, disassemble.
func TestBreakpointKindsAndEdits(t *testing.T) {
	tc := newTestClient(t)
	bin := testprog.Build(t, "dapprog")
	tc.initialize()
	tc.LaunchRequestWithArgs(map[string]any{"request": "launch", "mode": "exec", "program": bin, "args": []string{"-period", "1ms"}})
	pid := expect[*dap.ProcessEvent](tc, startTimeout).Body.SystemProcessId
	killAtEnd(t, pid)
	expect[*dap.LaunchResponse](tc, timeout)
	path, line := sourceLine(t, "work: call inner")
	_, innerLine := sourceLine(t, "inner: entry")
	tc.SetBreakpointsRequestWithArgs(path, []int{line, innerLine}, map[int]string{line: "i == 5"}, nil, map[int]string{innerLine: "inner k={k}"})
	bps := expect[*dap.SetBreakpointsResponse](tc, timeout)
	for _, bp := range bps.Body.Breakpoints {
		if !bp.Verified {
			t.Fatalf("breakpoints: %+v", bps.Body.Breakpoints)
		}
	}
	tc.ConfigurationDoneRequest()
	expect[*dap.ConfigurationDoneResponse](tc, timeout)
	stop := expectEvent[*dap.StoppedEvent](tc, startTimeout)
	top := tc.topFrame(stop.Body.ThreadId)
	if ev := tc.evaluate("i", top.Id); ev.Body.Result != "5" {
		t.Fatalf("conditional breakpoint i == 5 stopped with i = %s", ev.Body.Result)
	}
	tc.expectOutput("inner k=4", timeout) // the logpoint ran before, at i < 5

	// setVariable on a local, then on a field.
	tc.ScopesRequest(top.Id)
	locRef := expect[*dap.ScopesResponse](tc, timeout).Body.Scopes[0].VariablesReference
	locals := tc.variables(locRef)
	tc.SetVariableRequest(locRef, "i", "42")
	if r := expect[*dap.SetVariableResponse](tc, timeout); r.Body.Value != "42" {
		t.Errorf("setVariable i: %+v", r.Body)
	}
	tc.SetVariableRequest(locals["pt"].VariablesReference, "Y", "-7")
	expect[*dap.SetVariableResponse](tc, timeout)
	if ev := tc.evaluate("i*1000+pt.Y", top.Id); ev.Body.Result != "41993" {
		t.Errorf("after setVariable: i*1000+pt.Y = %s, want 41993", ev.Body.Result)
	}

	// An injected call (sh is rect{3, i}; i is 5 in the program: the
	// assignment above changed the local i, not the field).
	if ev := tc.evaluate("call sh.Area()", top.Id); ev.Body.Result != "15" || ev.Body.VariablesReference == 0 {
		t.Errorf("call sh.Area(): %+v", ev.Body)
	}

	// The dlv prefix: help, jobs.
	if ev := tc.evaluate("dlv help", top.Id); !strings.Contains(ev.Body.Result, "dlv jobs") {
		t.Errorf("dlv help: %q", ev.Body.Result)
	}
	if ev := tc.evaluate("dlv jobs", top.Id); !strings.Contains(ev.Body.Result, "running (no job-control stop)") {
		t.Errorf("dlv jobs: %q", ev.Body.Result)
	}

	// readMemory and writeMemory through sl's memory reference.
	ref := locals["sl"].MemoryReference
	if ref == "" {
		t.Fatalf("sl has no memory reference: %+v", locals["sl"])
	}
	tc.ReadMemoryRequest(ref, 0, 4)
	rm := expect[*dap.ReadMemoryResponse](tc, timeout)
	if data, _ := base64.StdEncoding.DecodeString(rm.Body.Data); len(data) != 4 || data[0] != 1 {
		t.Errorf("readMemory sl: %+v", rm.Body)
	}
	tc.WriteMemoryRequest(ref, 0, base64.StdEncoding.EncodeToString([]byte{9}))
	if wm := expect[*dap.WriteMemoryResponse](tc, timeout); wm.Body.BytesWritten != 1 {
		t.Errorf("writeMemory: %+v", wm.Body)
	}
	if ev := tc.evaluate("sl[0]", top.Id); ev.Body.Result != "9" {
		t.Errorf("after writeMemory sl[0] = %s, want 9", ev.Body.Result)
	}

	// disassemble around the PC.
	tc.DisassembleRequest(top.InstructionPointerReference, -3, 8)
	dis := expect[*dap.DisassembleResponse](tc, timeout)
	if len(dis.Body.Instructions) != 8 || dis.Body.Instructions[3].Address != top.InstructionPointerReference {
		t.Errorf("disassemble at %s: %+v", top.InstructionPointerReference, dis.Body.Instructions)
	}

	// A function breakpoint replaces nothing else; the source breakpoints
	// are cleared; continue stops in inner.
	tc.SetBreakpointsRequest(path, nil)
	expect[*dap.SetBreakpointsResponse](tc, timeout)
	tc.SetFunctionBreakpointsRequest([]dap.FunctionBreakpoint{{Name: "main.inner"}})
	if fb := expect[*dap.SetFunctionBreakpointsResponse](tc, timeout); len(fb.Body.Breakpoints) != 1 || !fb.Body.Breakpoints[0].Verified {
		t.Fatalf("setFunctionBreakpoints: %+v", fb.Body.Breakpoints)
	}
	tc.ContinueRequest(stop.Body.ThreadId)
	expect[*dap.ContinueResponse](tc, timeout)
	st := expectEvent[*dap.StoppedEvent](tc, timeout)
	if st.Body.Reason != "function breakpoint" {
		t.Errorf("stopped %+v, want function breakpoint", st.Body)
	}
	if f := tc.topFrame(st.Body.ThreadId); f.Name != "main.inner" {
		t.Errorf("stopped in %s", f.Name)
	}
	tc.DisconnectRequest()
	expect[*dap.DisconnectResponse](tc, timeout)
	waitGone(t, pid)
}

// TestAttachDetachLeavesProgram: attach to a running program, stop at a
// breakpoint, disconnect: the program runs on, no longer traced, and
// passes the breakpoint's line (a breakpoint left behind would kill it
// with SIGTRAP).
func TestAttachDetachLeavesProgram(t *testing.T) {
	// Started under jobparent, as a shell would (not our own child).
	job := testprog.Start(t, "dapprog", "-period", "1ms")
	cnt := job.CounterPath

	tc := newTestClient(t)
	tc.initialize()
	tc.AttachRequest(map[string]any{"request": "attach", "mode": "local", "processId": job.Pid})
	expectEvent[*dap.CapabilitiesEvent](tc, startTimeout)
	expect[*dap.AttachResponse](tc, startTimeout)
	tc.configureToBreakpoint("work: call inner")
	tc.DisconnectRequest()
	expect[*dap.DisconnectResponse](tc, timeout)
	expectEvent[*dap.TerminatedEvent](tc, timeout)
	n := waitAdvance(t, cnt, counter(t, cnt))
	waitAdvance(t, cnt, n+2)
	status, _ := os.ReadFile("/proc/" + itoa(job.Pid) + "/status")
	if !strings.Contains(string(status), "TracerPid:\t0\n") {
		t.Errorf("still traced after disconnect:\n%s", status)
	}
}

// TestDebugModePanic: mode debug builds the program; the unrecovered panic
// is an exception stop with the panic's message, and exceptionInfo says
// so.
func TestDebugModePanic(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skipf("mode debug builds with the go command: %v", err)
	}
	tc := newTestClient(t)
	tc.initialize()
	out := filepath.Join(t.TempDir(), "panicprog")
	tc.LaunchRequestWithArgs(map[string]any{"request": "launch", "mode": "debug", "program": "./testdata/panicprog", "output": out})
	tc.expectOutput("Building ./testdata/panicprog", startTimeout)
	pid := expectEvent[*dap.ProcessEvent](tc, startTimeout).Body.SystemProcessId
	killAtEnd(t, pid)
	expect[*dap.LaunchResponse](tc, timeout)
	tc.SetExceptionBreakpointsRequest([]string{"unrecovered-panic"})
	expect[*dap.SetExceptionBreakpointsResponse](tc, timeout)
	tc.ConfigurationDoneRequest()
	expect[*dap.ConfigurationDoneResponse](tc, timeout)
	st := expectEvent[*dap.StoppedEvent](tc, timeout)
	if st.Body.Reason != "exception" || st.Body.Description != "panic" || !strings.Contains(st.Body.Text, "boom 3") {
		t.Fatalf("stopped %+v, want the panic", st.Body)
	}
	tc.ExceptionInfoRequest(st.Body.ThreadId)
	ei := expect[*dap.ExceptionInfoResponse](tc, timeout)
	if ei.Body.ExceptionId != "panic" || !strings.Contains(ei.Body.Description, "boom 3") || !strings.Contains(ei.Body.Details.StackTrace, "main.explode") {
		t.Errorf("exceptionInfo: %+v %+v", ei.Body, ei.Body.Details)
	}
	tc.DisconnectRequest()
	expect[*dap.DisconnectResponse](tc, timeout)
	waitGone(t, pid)
	// The session removes its binary as it ends, after the disconnect
	// response and the program's end.
	deadline := time.Now().Add(timeout)
	for {
		if _, err := os.Stat(out); err != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the built binary %s was not removed within %v of the disconnect", out, timeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestBadRequests: an unknown command is answered and the session goes
// on; requests needing a session say so.
func TestBadRequests(t *testing.T) {
	tc := newTestClient(t)
	tc.initialize()
	tc.UnknownRequest()
	er := expect[*dap.ErrorResponse](tc, timeout)
	if !strings.Contains(er.Body.Error.Format, "Request command 'unknown' is not supported") {
		t.Errorf("unknown command: %q", er.Body.Error.Format)
	}
	tc.ThreadsRequest()
	er = expect[*dap.ErrorResponse](tc, timeout)
	if er.Command != "threads" || !strings.Contains(er.Body.Error.Format, "No debug session started") {
		t.Errorf("threads without a session: %+v", er.Body.Error)
	}
	tc.AttachRequest(map[string]any{"request": "attach", "mode": "local", "processId": 1 << 30})
	er = expect[*dap.ErrorResponse](tc, timeout)
	if !strings.Contains(er.Body.Error.Format, "could not attach to pid 1073741824: no such process") {
		t.Errorf("bad pid: %q", er.Body.Error.Format)
	}
	tc.DisconnectRequest()
	expect[*dap.DisconnectResponse](tc, timeout)
}
