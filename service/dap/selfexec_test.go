package dap

import (
	"syscall"
	"testing"

	"github.com/google/go-dap"

	"github.com/dlv-listen/dlv-listen/internal/testprog"
)

// TestFollowExecSelfExec: an attached program that execs a program itself
// (reexec, on SIGUSR1), followExec on: the new program is announced by a
// process event with the same pid, and the function breakpoint set before
// stops in it; disconnect lets it go, untraced.
func TestFollowExecSelfExec(t *testing.T) {
	job := testprog.Start(t, "reexec", "-period", "20ms")
	tc := newTestClient(t)
	tc.initialize()
	tc.AttachRequest(map[string]any{"request": "attach", "mode": "local", "processId": job.Pid, "followExec": true})
	expectEvent[*dap.CapabilitiesEvent](tc, startTimeout)
	expect[*dap.AttachResponse](tc, startTimeout)
	tc.SetFunctionBreakpointsRequest([]dap.FunctionBreakpoint{{Name: "main.round"}})
	if bps := expect[*dap.SetFunctionBreakpointsResponse](tc, timeout).Body.Breakpoints; len(bps) != 1 || !bps[0].Verified {
		t.Fatalf("function breakpoint on main.round: %+v", bps)
	}
	tc.ConfigurationDoneRequest()
	expect[*dap.ConfigurationDoneResponse](tc, timeout)
	stop := expectEvent[*dap.StoppedEvent](tc, startTimeout)
	gen := func(stop *dap.StoppedEvent) string {
		t.Helper()
		return tc.evaluate("*main.gen", tc.topFrame(stop.Body.ThreadId).Id).Body.Result
	}
	if g := gen(stop); g != "1" {
		t.Fatalf("first stop: gen %s, want 1", g)
	}
	seenOf[*dap.ProcessEvent](tc) // the attached program's, if any
	if err := syscall.Kill(job.Pid, syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	announced := false
	for i := 0; !announced; i++ {
		if i == 20 {
			t.Fatalf("no process event in 20 stops after SIGUSR1; output:\n%s", job.Output())
		}
		tc.ContinueRequest(stop.Body.ThreadId)
		expect[*dap.ContinueResponse](tc, timeout)
		m, ok := tc.waitStopOrExit().(*dap.StoppedEvent)
		if !ok {
			t.Fatalf("continue %d: the session ended; output:\n%s", i, job.Output())
		}
		stop = m
		for _, pe := range seenOf[*dap.ProcessEvent](tc) {
			if pe.Body.SystemProcessId != job.Pid {
				t.Fatalf("process event for %d, want the exec'ing %d", pe.Body.SystemProcessId, job.Pid)
			}
			announced = true
		}
	}
	if stop.Body.Reason != "function breakpoint" {
		t.Fatalf("stop after the exec: %+v, want at the function breakpoint", stop.Body)
	}
	if g := gen(stop); g != "2" {
		t.Fatalf("stop after the exec: gen %s, want 2", g)
	}
	tc.disconnectUntraced(job.Pid)
}
