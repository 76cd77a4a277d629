//go:build linux

package integration

// Job control over DAP (dlv-listen only; stock dlv has none): a program
// launched by `dlv-listen dap` and running (continue) is stopped by
// SIGTSTP, from kill or from Ctrl-Z typed in the integrated terminal. The
// editor gets an output event at once, the process stays stopped (its
// /proc state and its counter say so), pause says it is job-stopped,
// continue waits for SIGCONT, SIGCONT is announced, and the next
// breakpoint stops as usual. The client of these sessions knows only
// the standard messages: a custom event sent unasked would end its
// reading and fail the test.

import (
	"fmt"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-dap"

	"github.com/dlv-listen/dlv-listen/internal/testprog"
)

func TestDAPJobControlKill(t *testing.T) {
	c, s, pid, counter := dapJobSession(t, dap.NewCodec(), nil)
	src := dapprogSource(t)

	frozenAt := dapTSTPStop(t, c, pid, counter, func() { syscall.Kill(pid, syscall.SIGTSTP) })

	// pause: a stopped event saying the process is job-stopped.
	c.PauseRequest(1)
	dapExpect[*dap.PauseResponse](c, dapTimeout)
	stop := expectStopped(t, c, "pause", dapTimeout)
	if re := regexp.MustCompile(`job-stopped by SIGTSTP|stopped by SIGTSTP`); !re.MatchString(stop.Body.Description + " " + stop.Body.Text) {
		t.Errorf("stopped event after pause: description %q, text %q; want it to say the process is job-stopped by SIGTSTP", stop.Body.Description, stop.Body.Text)
	}
	if st := jobClass(procState(pid)); st != "traced" && st != "stopped" {
		t.Errorf("state %q after pause of a job-stopped process, want stopped", procState(pid))
	}
	c.SetBreakpointsRequest(src.file, []int{src.callInner})
	if bps := dapExpect[*dap.SetBreakpointsResponse](c, dapTimeout); len(bps.Body.Breakpoints) != 1 || !bps.Body.Breakpoints[0].Verified {
		t.Fatalf("setBreakpoints while job-stopped = %+v", bps.Body.Breakpoints)
	}

	// continue waits for SIGCONT, and says so.
	c.ContinueRequest(stop.Body.ThreadId)
	dapExpect[*dap.ContinueResponse](c, dapTimeout)
	c.waitOutput(regexp.MustCompile(fmt.Sprintf(`process %d is stopped by SIGTSTP \(job control\): waiting for SIGCONT`, pid)), dapTimeout)
	assertFrozen(t, counter, pid, 300*time.Millisecond)
	for _, m := range c.backlog {
		if ev, ok := m.(*dap.StoppedEvent); ok {
			t.Fatalf("continue on a job-stopped process returned a stop (%+v) before SIGCONT", ev.Body)
		}
	}

	syscall.Kill(pid, syscall.SIGCONT)
	c.waitOutput(continuedRe(pid), 2*time.Second)
	stop = expectStopped(t, c, "breakpoint", dapTimeout)
	frame := expectTop(t, c, stop.Body.ThreadId, "main.work", src.callInner)
	// The stop came between two counter writes; the breakpoint is in the
	// first or second call of work after it.
	if i := c.evalInt("i", frame); i <= int(frozenAt) || i > int(frozenAt)+2 {
		t.Errorf("stopped at i = %d after SIGCONT, want the iteration after %d", i, frozenAt)
	}
	dapTerminate(t, c, s, pid)
}

func TestDAPJobControlCtrlZ(t *testing.T) {
	bin := dlvListenDAP(t)
	prog := dapprogBin(t)
	counter := counterFile(t)
	l := listenLoopback(t)
	s := startDAPInPty(t, "vscode integratedTerminal dap", bin, "--client-addr="+clientAddr(l))
	c := newDAPClient(t, acceptDeadline(t, l, s))
	pid := dapLaunchRunning(t, c, s, map[string]any{
		"request": "launch", "mode": "exec", "program": prog, "console": "integratedTerminal",
		"args": []string{"-out", counter, "-die-with-parent"},
	}, counter)
	src := dapprogSource(t)

	// The program owns the terminal's foreground, as in a shell.
	pgrp, err := syscall.Getpgid(pid)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(dapTimeout)
	for tpgid(pid) != pgrp {
		if time.Now().After(deadline) {
			t.Fatalf("the terminal's foreground process group is %d, want the program's (pid %d, pgrp %d)", tpgid(pid), pid, pgrp)
		}
		time.Sleep(poll)
	}
	dapTSTPStop(t, c, pid, counter, func() { s.term.send(ctrlZ) })

	syscall.Kill(pid, syscall.SIGCONT)
	c.waitOutput(continuedRe(pid), 2*time.Second)
	waitAdvance(t, counter, pid, dapTimeout) // running on: continue was never ended

	c.PauseRequest(1)
	dapExpect[*dap.PauseResponse](c, dapTimeout)
	stop := expectStopped(t, c, "pause", dapTimeout)
	c.SetBreakpointsRequest(src.file, []int{src.callInner})
	dapExpect[*dap.SetBreakpointsResponse](c, dapTimeout)
	c.ContinueRequest(stop.Body.ThreadId)
	dapExpect[*dap.ContinueResponse](c, dapTimeout)
	stop = expectStopped(t, c, "breakpoint", dapTimeout)
	expectTop(t, c, stop.Body.ThreadId, "main.work", src.callInner)
	dapTerminate(t, c, s, pid)
}

// TestDAPJobControlReport: with "jobControl": "report" a group-stop stops
// the debug session too, and with "jobControlEvents": true the client gets
// dlv-listen's custom event; the custom request dlvListenSignal sends
// SIGCONT, and the program goes on (a continued event, since the editor
// showed it stopped).
func TestDAPJobControlReport(t *testing.T) {
	codec := dap.NewCodec()
	if err := codec.RegisterEvent("dlvListenJobControl", func() dap.Message { return &dapJobControlEvent{} }); err != nil {
		t.Fatal(err)
	}
	if err := codec.RegisterRequest("dlvListenSignal", func() dap.Message { return &dapSignalRequest{} }, func() dap.Message { return &dapSignalResponse{} }); err != nil {
		t.Fatal(err)
	}
	c, s, pid, counter := dapJobSession(t, codec, map[string]any{"jobControl": "report", "jobControlEvents": true})

	dapTSTPStop(t, c, pid, counter, func() { syscall.Kill(pid, syscall.SIGTSTP) })
	if ev := dapExpect[*dapJobControlEvent](c, dapTimeout); ev.Body.Pid != pid || ev.Body.State != "stopped" || ev.Body.Signal != "SIGTSTP" {
		t.Errorf("dlvListenJobControl event %+v, want pid %d stopped by SIGTSTP", ev.Body, pid)
	}
	stop := dapExpect[*dap.StoppedEvent](c, dapTimeout)
	if !regexp.MustCompile(`SIGTSTP`).MatchString(stop.Body.Description + " " + stop.Body.Text) {
		t.Errorf("report mode: stopped event %+v does not name SIGTSTP", stop.Body)
	}
	c.EvaluateRequest("dlv jobs", 0, "repl")
	if r := dapExpect[*dap.EvaluateResponse](c, dapTimeout); !strings.Contains(r.Body.Result, fmt.Sprintf("process %d is stopped by SIGTSTP (job control)", pid)) {
		t.Errorf("dlv jobs = %q", r.Body.Result)
	}
	assertFrozen(t, counter, pid, 300*time.Millisecond)

	req := &dapSignalRequest{Request: dap.Request{ProtocolMessage: dap.ProtocolMessage{Seq: 9001, Type: "request"}, Command: "dlvListenSignal"}}
	req.Arguments.Signal = "SIGCONT"
	if err := dap.WriteProtocolMessage(c.conn, req); err != nil {
		t.Fatal(err)
	}
	dapExpect[*dapSignalResponse](c, dapTimeout)
	c.waitOutput(continuedRe(pid), 2*time.Second)
	if ev := dapExpect[*dapJobControlEvent](c, dapTimeout); ev.Body.Pid != pid || ev.Body.State != "continued" {
		t.Errorf("dlvListenJobControl event %+v, want pid %d continued", ev.Body, pid)
	}
	dapExpect[*dap.ContinuedEvent](c, dapTimeout)
	waitAdvance(t, counter, pid, dapTimeout)
	dapTerminate(t, c, s, pid)
}

// dlv-listen's custom event and request (service/dap/jobcontrol.go), as a
// client that asks for them declares them.
type dapJobControlEvent struct {
	dap.Event
	Body struct {
		Pid    int    `json:"pid"`
		State  string `json:"state"`
		Signal string `json:"signal"`
	} `json:"body"`
}

type dapSignalRequest struct {
	dap.Request
	Arguments struct {
		Signal string `json:"signal"`
	} `json:"arguments"`
}

type dapSignalResponse struct {
	dap.Response
	Body struct {
		Result string `json:"result"`
	} `json:"body"`
}

// dapJobSession starts `dlv-listen dap --listen`, launches dapprog
// (exec mode, the launch attributes extra added) and lets it run; it
// returns the client (reading with codec), the server, the program's pid
// and its counter file.
func dapJobSession(t *testing.T, codec *dap.Codec, extra map[string]any) (*dapClient, *dapServer, int, string) {
	t.Helper()
	bin := dlvListenDAP(t)
	counter := counterFile(t)
	args := map[string]any{
		"request": "launch", "mode": "exec", "program": dapprogBin(t), "args": []string{"-out", counter, "-die-with-parent"},
	}
	for k, v := range extra {
		args[k] = v
	}
	addr := freeLoopbackAddr(t)
	s := startDAPPiped(t, "dap", bin, nil, false, "--listen="+addr)
	c := newDAPClientCodec(t, dialRetry(t, s, addr), codec)
	return c, s, dapLaunchRunning(t, c, s, args, counter), counter
}

// dapLaunchRunning launches dapprog with no breakpoint and lets it run;
// it returns its pid once its counter advances.
func dapLaunchRunning(t *testing.T, c *dapClient, s *dapServer, args map[string]any, counter string) int {
	t.Helper()
	c.initialize()
	c.LaunchRequestWithArgs(args)
	dapExpect[*dap.InitializedEvent](c, dapStartTimeout)
	dapExpect[*dap.LaunchResponse](c, dapStartTimeout)
	c.ConfigurationDoneRequest()
	dapExpect[*dap.ConfigurationDoneResponse](c, dapTimeout)
	pid := s.launchedChild(t, "dapprog")
	waitAdvance(t, counter, pid, dapStartTimeout)
	return pid
}

// dapTSTPStop stops the running program with stop (a SIGTSTP) and checks
// that the editor hears of it within a second and that the process stays
// stopped. It returns the counter's frozen value.
func dapTSTPStop(t *testing.T, c *dapClient, pid int, counter string, stop func()) int64 {
	t.Helper()
	sent := time.Now()
	stop()
	o := c.waitOutput(stoppedRe(pid, "SIGTSTP"), time.Second)
	t.Logf("stop announced %v after SIGTSTP", time.Since(sent).Round(time.Millisecond))
	if o.Body.Category != "important" {
		t.Errorf("job-control output event has category %q, want important", o.Body.Category)
	}
	deadline := time.Now().Add(dapTimeout)
	for st := jobClass(procState(pid)); st != "traced" && st != "stopped"; st = jobClass(procState(pid)) {
		if time.Now().After(deadline) {
			t.Fatalf("pid %d: state %s after SIGTSTP, want stopped", pid, stateOf(pid))
		}
		time.Sleep(poll)
	}
	assertFrozen(t, counter, pid, 500*time.Millisecond)
	return readCounter(counter)
}

// dapTerminate disconnects (a launched program is killed) and checks the
// program is gone and the server exits.
func dapTerminate(t *testing.T, c *dapClient, s *dapServer, pid int) {
	t.Helper()
	c.DisconnectRequestWithKillOption(true)
	dapExpect[*dap.DisconnectResponse](c, dapTimeout)
	c.expectClosed(dapTimeout)
	waitGone(t, pid, dapTimeout)
	if st := s.waitExit(t, dapTimeout); st != 0 {
		t.Errorf("server exit status %d, want 0", st)
	}
}

// procState is pid's state letter, 0 if it is gone.
func procState(pid int) byte {
	st, _, _ := testprog.ProcStat(pid)
	return st
}
