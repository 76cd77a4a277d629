//go:build linux

package dap

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-dap"

	"github.com/dlv-listen/dlv-listen/internal/testprog"
)

// TestScopesPagingAndMore: Globals and Registers scopes, paging of a
// large array, hex for unsigned values, setExpression, instruction
// stepping, modules, loadedSources, pause, restart answered honestly,
// terminate.
func TestScopesPagingAndMore(t *testing.T) {
	tc := newTestClient(t)
	pid, stop := tc.launchDapprog("work: call inner", map[string]any{"showGlobalVariables": true, "showRegisters": true})
	killAtEnd(t, pid)
	goid := stop.Body.ThreadId
	top := tc.topFrame(goid)
	tc.ScopesRequest(top.Id)
	scopes := map[string]int{}
	for _, s := range expect[*dap.ScopesResponse](tc, timeout).Body.Scopes {
		scopes[s.Name] = s.VariablesReference
	}
	globRef, ok := scopes["Globals (package main)"]
	if !ok || scopes["Registers"] == 0 {
		t.Fatalf("scopes %v: want Locals, Globals (package main), Registers", scopes)
	}
	regs := tc.variables(scopes["Registers"])
	// The program counter as Delve names it: RIP on amd64, PC on arm64.
	pcName := map[string]string{"amd64": "rip", "arm64": "pc"}[runtime.GOARCH]
	if pc, ok := regs[fmt.Sprintf("%6s", pcName)]; !ok || pc.EvaluateName != "_"+strings.ToUpper(pcName) || !strings.HasPrefix(pc.Value, "0x") || strings.Contains(pc.Value, "more") {
		t.Errorf("Registers: %s = %+v (of %d registers)", pcName, pc, len(regs))
	}
	globals := tc.variables(globRef)
	block := globals["block"]
	if block.IndexedVariables != 1<<20 || block.VariablesReference == 0 {
		t.Fatalf("global block: %+v", block)
	}
	tc.IndexedVariablesRequest(block.VariablesReference, 1000, 3)
	page := expect[*dap.VariablesResponse](tc, timeout).Body.Variables
	if len(page) != 3 || page[0].Name != "[1000]" || page[0].Value != "232 = 0xe8" || page[2].EvaluateName != "main.block[1002]" {
		t.Errorf("block[1000:1003]: %+v", page)
	}

	// setExpression on a watch expression.
	tc.send(&dap.SetExpressionRequest{Request: dap.Request{ProtocolMessage: dap.ProtocolMessage{Seq: 800, Type: "request"}, Command: "setExpression"},
		Arguments: dap.SetExpressionArguments{Expression: "pt.X", Value: "77", FrameId: top.Id}})
	if se := expect[*dap.SetExpressionResponse](tc, timeout); se.Body.Value != "77" {
		t.Errorf("setExpression pt.X = 77: %+v", se.Body)
	}

	// One instruction.
	pc := top.InstructionPointerReference
	tc.NextInstructionRequest(goid)
	expect[*dap.NextResponse](tc, timeout)
	expectEvent[*dap.StoppedEvent](tc, timeout)
	if f := tc.topFrame(goid); f.InstructionPointerReference == pc || f.Name != "main.work" {
		t.Errorf("after one instruction at %s %s, was %s", f.Name, f.InstructionPointerReference, pc)
	}

	// dlv config: list, set.
	if ev := tc.evaluate("dlv config -list", top.Id); !containsAll(ev.Body.Result, "stackTraceDepth", "substitutePath", "showRegisters") {
		t.Errorf("dlv config -list: %q", ev.Body.Result)
	}
	if ev := tc.evaluate("dlv config maxStringLen 7", top.Id); !strings.Contains(ev.Body.Result, "Updated") {
		t.Errorf("dlv config maxStringLen 7: %q", ev.Body.Result)
	}
	if ev := tc.evaluate("pt", top.Id); !strings.Contains(ev.Body.Result, `Name: "pt"`) {
		t.Errorf("pt: %q", ev.Body.Result)
	}
	if ev := tc.evaluate(`"0123456789"`, top.Id); ev.Body.Result != `"0123456789"` {
		t.Errorf("a string in the repl (loaded whole): %q", ev.Body.Result)
	}

	tc.ModulesRequest()
	mods := expect[*dap.ModulesResponse](tc, timeout)
	if len(mods.Body.Modules) == 0 || !strings.HasSuffix(mods.Body.Modules[0].Path, "dapprog") {
		t.Errorf("modules: %+v", mods.Body.Modules)
	}
	tc.LoadedSourcesRequest()
	srcs := expect[*dap.LoadedSourcesResponse](tc, timeout)
	found := false
	for _, s := range srcs.Body.Sources {
		found = found || strings.HasSuffix(s.Path, "dapprog/main.go")
	}
	if !found {
		t.Errorf("loadedSources lacks dapprog/main.go (%d sources)", len(srcs.Body.Sources))
	}

	// Pause of a running program.
	tc.SetBreakpointsRequest(tc.sourcePath(t), nil)
	expect[*dap.SetBreakpointsResponse](tc, timeout)
	tc.ContinueRequest(goid)
	expect[*dap.ContinueResponse](tc, timeout)
	tc.PauseRequest(goid)
	expect[*dap.PauseResponse](tc, timeout)
	if st := expectEvent[*dap.StoppedEvent](tc, timeout); st.Body.Reason != "pause" || st.Body.Description != "" {
		t.Errorf("pause: %+v", st.Body)
	}

	tc.RestartRequest(nil)
	expect[*dap.RestartResponse](tc, timeout)
	er := expect[*dap.ErrorResponse](tc, timeout)
	if !strings.Contains(er.Body.Error.Format, "Failed to restart") {
		t.Errorf("restart: %s", er.Body.Error.Format)
	}

	tc.TerminateRequest()
	expect[*dap.TerminateResponse](tc, timeout)
	expectEvent[*dap.TerminatedEvent](tc, timeout)
	waitGone(t, pid)
}

func (tc *testClient) sourcePath(t *testing.T) string {
	p, _ := sourceLine(t, "work: call inner")
	return p
}

// TestNoDebug: "Run Without Debugging" runs the program plainly; its output
// comes as output events with outputMode remote; exited and terminated
// follow its end.
func TestNoDebug(t *testing.T) {
	tc := newTestClient(t)
	tc.initialize()
	tc.LaunchRequestWithArgs(map[string]any{"request": "launch", "mode": "exec", "noDebug": true, "outputMode": "remote",
		"program": testprogBuild(t), "args": []string{"-iterations", "3", "-period", "1ms"}})
	expect[*dap.LaunchResponse](tc, startTimeout)
	tc.ThreadsRequest()
	if er := expect[*dap.ErrorResponse](tc, timeout); !strings.Contains(er.Body.Error.Format, "noDebug mode") {
		t.Errorf("threads in noDebug mode: %s", er.Body.Error.Format)
	}
	if ex := expectEvent[*dap.ExitedEvent](tc, startTimeout); ex.Body.ExitCode != 0 {
		t.Errorf("exit code %d", ex.Body.ExitCode)
	}
	expectEvent[*dap.TerminatedEvent](tc, timeout)
	tc.expectOutput("dapprog: done", timeout)
	tc.DisconnectRequest()
	expect[*dap.DisconnectResponse](tc, timeout)
}

// TestDataBreakpoint: a write watchpoint on the global sink (written by
// main after each call of work) stops the program there.
func TestDataBreakpoint(t *testing.T) {
	testprog.RequireHardwareWatchpoints(t)
	tc := newTestClient(t)
	pid, stop := tc.launchDapprog("work: call inner", nil)
	killAtEnd(t, pid)
	top := tc.topFrame(stop.Body.ThreadId)
	tc.DataBreakpointInfoRequest(0, "main.sink")
	// FrameId 0 is as good as the top frame for a global.
	info := expect[*dap.DataBreakpointInfoResponse](tc, timeout)
	dataID, _ := info.Body.DataId.(string)
	if dataID == "" {
		t.Fatalf("dataBreakpointInfo: %+v", info.Body)
	}
	tc.SetDataBreakpointsRequest([]string{dataID})
	db := expect[*dap.SetDataBreakpointsResponse](tc, timeout)
	if len(db.Body.Breakpoints) != 1 || !db.Body.Breakpoints[0].Verified {
		t.Fatalf("setDataBreakpoints: %+v", db.Body.Breakpoints)
	}
	tc.SetBreakpointsRequest(tc.sourcePath(t), nil)
	expect[*dap.SetBreakpointsResponse](tc, timeout)
	tc.ContinueRequest(stop.Body.ThreadId)
	expect[*dap.ContinueResponse](tc, timeout)
	st := expectEvent[*dap.StoppedEvent](tc, timeout)
	if st.Body.Reason != "data breakpoint" {
		t.Fatalf("stopped %+v, want data breakpoint", st.Body)
	}
	if f := tc.topFrame(st.Body.ThreadId); f.Name != "main.main" {
		t.Errorf("data breakpoint stopped in %s:%d (frame before: %s)", f.Name, f.Line, top.Name)
	}
	tc.DisconnectRequest()
	expect[*dap.DisconnectResponse](tc, timeout)
	waitGone(t, pid)
}

// TestInstructionBreakpoint: a breakpoint at the address of a frame's PC
// stops there again, reported as an instruction breakpoint.
func TestInstructionBreakpoint(t *testing.T) {
	tc := newTestClient(t)
	pid, stop := tc.launchDapprog("work: call inner", nil)
	killAtEnd(t, pid)
	pc := tc.topFrame(stop.Body.ThreadId).InstructionPointerReference
	tc.SetBreakpointsRequest(tc.sourcePath(t), nil)
	expect[*dap.SetBreakpointsResponse](tc, timeout)
	tc.SetInstructionBreakpointsRequest([]dap.InstructionBreakpoint{{InstructionReference: pc}})
	if ib := expect[*dap.SetInstructionBreakpointsResponse](tc, timeout); len(ib.Body.Breakpoints) != 1 || !ib.Body.Breakpoints[0].Verified {
		t.Fatalf("setInstructionBreakpoints %s: %+v", pc, ib.Body.Breakpoints)
	}
	tc.ContinueRequest(stop.Body.ThreadId)
	expect[*dap.ContinueResponse](tc, timeout)
	st := expectEvent[*dap.StoppedEvent](tc, timeout)
	if st.Body.Reason != "instruction breakpoint" {
		t.Fatalf("stopped %+v, want instruction breakpoint", st.Body)
	}
	if f := tc.topFrame(st.Body.ThreadId); f.InstructionPointerReference != pc {
		t.Errorf("stopped at %s, want %s", f.InstructionPointerReference, pc)
	}
	tc.DisconnectRequest()
	expect[*dap.DisconnectResponse](tc, timeout)
	waitGone(t, pid)
}
