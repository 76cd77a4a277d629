//go:build linux

package integration

// Launch mode "test" (what VS Code Go's "debug test" code lens sends): the
// server builds the test binary of a package with two tests and runs the
// one -test.run names; a breakpoint in each test shows which ran.

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-dap"
)

func TestDAPLaunchModeTest(t *testing.T) {
	needGoCommand(t, "DAP launch mode test")
	bin := dapServerBin(t)
	dir := filepath.Join(moduleRoot, "integration/testdata/twotests")
	file := filepath.Join(dir, "twotests_test.go")
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var alphaLine, betaLine int
	for i, l := range strings.Split(string(b), "\n") {
		if strings.HasSuffix(l, "// alpha: body") {
			alphaLine = i + 1
		}
		if strings.HasSuffix(l, "// beta: body") {
			betaLine = i + 1
		}
	}
	if alphaLine == 0 || betaLine == 0 {
		t.Fatalf("%s: marker comments not found", file)
	}

	addr := freeLoopbackAddr(t)
	s := startDAPPiped(t, "dap (mode test)", bin, nil, false, "--listen="+addr)
	c := newDAPClient(t, dialRetry(t, s, addr))
	c.initialize()
	c.LaunchRequestWithArgs(map[string]any{
		"request": "launch", "mode": "test", "program": dir,
		"output": filepath.Join(t.TempDir(), "__debug_bin"),
		"args":   []string{"-test.run", "^TestBeta$", "-test.v"},
	})
	dapExpect[*dap.InitializedEvent](c, dapStartTimeout)
	dapExpect[*dap.LaunchResponse](c, dapStartTimeout)
	c.SetBreakpointsRequest(file, []int{alphaLine, betaLine})
	bps := dapExpect[*dap.SetBreakpointsResponse](c, dapTimeout)
	for _, bp := range bps.Body.Breakpoints {
		if !bp.Verified {
			t.Fatalf("setBreakpoints %s:%d,%d = %+v, want both verified", file, alphaLine, betaLine, bps.Body.Breakpoints)
		}
	}
	c.ConfigurationDoneRequest()
	dapExpect[*dap.ConfigurationDoneResponse](c, dapTimeout)
	stop := expectStopped(t, c, "breakpoint", dapStartTimeout)
	c.StackTraceRequest(stop.Body.ThreadId, 0, 20)
	st := dapExpect[*dap.StackTraceResponse](c, dapTimeout)
	const pkg = "twotests." // dlv shortens the package path
	if len(st.Body.StackFrames) < 2 || st.Body.StackFrames[0].Name != pkg+"beta" || st.Body.StackFrames[0].Line != betaLine ||
		st.Body.StackFrames[1].Name != pkg+"TestBeta" {
		t.Fatalf("stopped in %+v, want %sbeta at line %d called by TestBeta", st.Body.StackFrames, pkg, betaLine)
	}
	if n := c.evalInt("n", st.Body.StackFrames[0].Id); n != 2 {
		t.Errorf("beta's n = %d, want 2", n)
	}
	// TestAlpha must not run: continuing ends the program without a stop
	// at alpha's breakpoint.
	c.ContinueRequest(stop.Body.ThreadId)
	dapExpect[*dap.ContinueResponse](c, dapTimeout)
	dapExpect[*dap.TerminatedEvent](c, dapStartTimeout)
	for _, m := range c.backlog {
		if ev, ok := m.(*dap.StoppedEvent); ok {
			t.Errorf("a second stop (%+v): -test.run ^TestBeta$ was not honoured", ev.Body)
		}
	}
	c.DisconnectRequest()
	dapExpect[*dap.DisconnectResponse](c, dapTimeout)
	c.expectClosed(dapTimeout)
	s.waitExit(t, dapTimeout)
	// The test binary's -test.v output: on the server's stdout (dlv) or in
	// output events.
	out := s.output() + c.outputText()
	if !strings.Contains(out, "=== RUN   TestBeta") || strings.Contains(out, "TestAlpha") || !strings.Contains(out, "PASS") {
		t.Errorf("test output (server stdout and output events) should run TestBeta only and pass:\n%s", out)
	}
}
