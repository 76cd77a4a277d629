//go:build linux

package integration

// The headless server (`dlv-listen ... --headless`) driven by stock Delve
// clients: `dlv connect` in a pty, Delve's rpc2 client, GoLand's command
// line; and `dlv-listen connect` driving a stock headless dlv.

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-delve/delve/service/api"
	"github.com/go-delve/delve/service/rpc2"

	"github.com/dlv-listen/dlv-listen/internal/testprog"
	"github.com/dlv-listen/dlv-listen/service/jobapi"
)

// connectTerm runs `<bin> connect addr` in a pty and waits for its prompt.
func connectTerm(t testing.TB, name, bin, addr string) *Term {
	t.Helper()
	cmd := exec.Command(bin, "connect", addr)
	cmd.Dir = moduleRoot
	cmd.Env = append(os.Environ(), "TERM=dumb", "XDG_CONFIG_HOME="+t.TempDir(), NoTelemetryEnv)
	tm := StartTerm(t, name, cmd)
	tm.WaitPrompt(StartTimeout)
	return tm
}

// Stock `dlv connect` drives a headless dlv-listen: break, continue, print,
// goroutines, stack, next, exit leaving the program running; the server
// ends with its client, as dlv's does. Stock dlv is the client here and
// dlv-listen the debugger: whatever fails, fails the test; a crash of the
// client is named as such.
func TestHeadlessStockDlvConnect(t *testing.T) {
	dlv := StockDlv(t)
	job := testprog.Start(t, "counter")
	srv := startServer(t, "dlv-listen", dlvListen, append([]string{"attach", pidArg(job.Pid)}, headlessArgs()...)...)
	var tm *Term
	t.Cleanup(func() {
		if tm != nil && t.Failed() {
			if crash := stockCrashed("stock dlv connect (the client)", tm.Output()); crash != "" {
				t.Logf("%s: a bug of stock dlv, or a reply of dlv-listen it cannot take", crash)
			}
		}
	})
	tm = connectTerm(t, "dlv connect", dlv, srv.addr)
	inspectAtTick(t, tm, &Counter{Path: job.CounterPath, Pid: job.Pid}, job.Pid)

	// Job-control events reach dlv's terminal during a continue (as events
	// of a kind it does not know): it goes on, and halts on Ctrl-C.
	tm.Command("clear 1", CmdTimeout)
	tm.SendLine("continue")
	job.WaitAdvance(t, 5*time.Second)
	job.Signal(t, syscall.SIGSTOP)
	job.WaitEvent(t, "stopped SIGSTOP", 5*time.Second)
	job.Signal(t, syscall.SIGCONT)
	job.WaitAdvance(t, 5*time.Second)
	tm.Send("\x03")
	tm.WaitPrompt(CmdTimeout)
	if out := tm.Command("print 1+1", CmdTimeout); !regexpMatch(`^\s*2\s*$`, out) {
		t.Errorf("print after the job-control events: %q", out)
	}
	exitLeavingRunning(t, tm, job)
	if st := srv.wait(10 * time.Second); st != 0 {
		t.Errorf("headless dlv-listen exited with status %d, want 0", st)
	}
}

// `dlv-listen connect` drives a stock headless dlv the same way; its
// job-control commands say the server has none. Stock dlv attaches to the
// counter only once its threads are created, and if stock dlv fails (it
// cannot attach, crashes, or its debuggee dies under it) the test is
// skipped saying so.
func TestConnectStockHeadless(t *testing.T) {
	dlv := StockDlv(t)
	job := testprog.Start(t, "counter")
	job.WaitSettled(t)
	var srv *server
	withStockReference(t, func(t testing.TB) {
		srv = startServer(t, "dlv", dlv, append([]string{"attach", pidArg(job.Pid)}, headlessArgs()...)...)
		tm := connectTerm(t, "dlv-listen connect", dlvListen, srv.addr)
		inspectAtTick(t, tm, &Counter{Path: job.CounterPath, Pid: job.Pid}, job.Pid)
		if out := tm.Command("jobs", CmdTimeout); !regexpMatch(`jobs: the server is not dlv-listen and has no job control`, out) {
			t.Errorf("jobs on stock dlv: %q", out)
		}
		exitLeavingRunning(t, tm, job)
		if st := srv.wait(10 * time.Second); st != 0 {
			t.Errorf("headless dlv exited with status %d, want 0", st)
		}
	}, func(msg string) string {
		return firstOf(
			func() string { return stockDebuggeeDied(job) },
			func() string {
				if srv == nil {
					return ""
				}
				return stockCrashed("headless stock dlv", srv.output())
			},
			func() string { return stockNoBanner("dlv", msg) },
		)
	})
}

// `dlv-listen connect` to a headless dlv-listen: job-control changes are
// announced while a continue runs, jobs and signal work over the wire, and
// detach leaves the program as it is and ends both.
func TestConnectJobControl(t *testing.T) {
	job := testprog.Start(t, "counter")
	srv := startServer(t, "dlv-listen", dlvListen, append([]string{"attach", pidArg(job.Pid)}, headlessArgs()...)...)
	tm := connectTerm(t, "dlv-listen connect", dlvListen, srv.addr)
	tm.SendLine("continue")
	job.WaitAdvance(t, 5*time.Second)
	job.Signal(t, syscall.SIGSTOP)
	tm.Expect(StoppedNotice(job.Pid, "SIGSTOP"), 5*time.Second)
	job.AssertFrozen(t, 300*time.Millisecond)
	tm.Send("\x03") // Ctrl-C: the terminal halts
	tm.WaitPrompt(CmdTimeout)
	if out := tm.Command("jobs", CmdTimeout); !regexpMatch(fmt.Sprintf(`process %d is stopped by SIGSTOP \(job control\)`, job.Pid), out) {
		t.Errorf("jobs: %q", out)
	}
	if out := tm.Command("signal SIGCONT", CmdTimeout); !regexpMatch(fmt.Sprintf(`sent SIGCONT to process %d`, job.Pid), out) {
		t.Errorf("signal SIGCONT: %q", out)
	}
	tm.SendLine("detach")
	tm.Expect(fmt.Sprintf("detached from process %d", job.Pid), CmdTimeout)
	if st := tm.Wait(10 * time.Second); st != 0 {
		t.Errorf("dlv-listen connect exited with status %d after detach", st)
	}
	if st := srv.wait(10 * time.Second); st != 0 {
		t.Errorf("headless dlv-listen exited with status %d after detach", st)
	}
	waitUntracedPid(t, job.Pid, 5*time.Second)
	job.WaitAdvance(t, 5*time.Second)
}

// eventLog records the events Delve's rpc2 client drains.
type eventLog struct {
	mu    sync.Mutex
	kinds []api.EventKind
}

func (l *eventLog) add(ev *api.Event) {
	l.mu.Lock()
	l.kinds = append(l.kinds, ev.Kind)
	l.mu.Unlock()
}

func (l *eventLog) has(k api.EventKind) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, x := range l.kinds {
		if x == k {
			return true
		}
	}
	return false
}

// waitJobEvent long-polls RPCServer.JobEvents until an event of kind
// arrives; it returns it.
func waitJobEvent(t *testing.T, c *rpc2.RPCClient, after uint64, kind string) jobapi.JobEvent {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		var out jobapi.JobEventsOut
		if err := c.CallAPI("JobEvents", jobapi.JobEventsIn{After: after, Wait: true}, &out); err != nil {
			t.Fatalf("JobEvents: %v", err)
		}
		for _, ev := range out.Events {
			if ev.Kind == kind {
				return ev
			}
		}
		after = out.Next
	}
	t.Fatalf("no %s job event within 10s", kind)
	return jobapi.JobEvent{}
}

// Delve's rpc2 client on a headless dlv-listen with --accept-multiclient:
// a breakpoint, Halt during Continue, a second client after the first
// leaves, and job control seen by that client (state, events, Delve's
// event drain surviving job-control events) under kill -STOP and -CONT.
func TestHeadlessRPCClient(t *testing.T) {
	job := testprog.Start(t, "counter")
	srv := startServer(t, "dlv-listen", dlvListen, append([]string{"attach", pidArg(job.Pid)}, headlessArgs("--accept-multiclient")...)...)

	c := srv.dial(t)
	bp, err := c.CreateBreakpoint(&api.Breakpoint{FunctionName: "main.tick"})
	if err != nil {
		t.Fatalf("CreateBreakpoint main.tick: %v", err)
	}
	st := <-c.Continue()
	if st.Err != nil || st.CurrentThread == nil || st.CurrentThread.Breakpoint == nil || st.CurrentThread.Breakpoint.ID != bp.ID {
		t.Fatalf("Continue: %+v (err %v), want breakpoint %d", st, st.Err, bp.ID)
	}
	var so jobapi.StateOut
	if err := c.CallAPI("State", rpc2.StateIn{}, &so); err != nil || so.State.JobControl == nil || so.State.JobControl.State != jobapi.StateRunning || so.State.Pid != job.Pid {
		t.Fatalf("State with job control: %+v, %v; want pid %d, job state running", so.State.JobControl, err, job.Pid)
	}
	if _, err := c.ClearBreakpoint(bp.ID); err != nil {
		t.Fatalf("ClearBreakpoint: %v", err)
	}
	ch := c.Continue()
	job.WaitAdvance(t, 5*time.Second)
	if _, err := c.Halt(); err != nil {
		t.Fatalf("Halt during Continue: %v", err)
	}
	if st := <-ch; st.Err != nil || st.Running {
		t.Fatalf("Continue after Halt: %+v", st)
	}
	if _, ok := <-ch; ok {
		t.Fatalf("Continue gave a second state after Halt")
	}
	if !c.IsMulticlient() {
		t.Errorf("IsMulticlient = false with --accept-multiclient")
	}
	if err := c.Disconnect(false); err != nil {
		t.Fatalf("Disconnect: %v", err)
	}

	// A second client, the first gone: the server still serves.
	c2 := srv.dial(t)
	if st, err := c2.GetState(); err != nil || st.Pid != job.Pid {
		t.Fatalf("second client GetState: %+v, %v", st, err)
	}
	var evs eventLog
	c2.SetEventsFn(evs.add)
	ch = c2.Continue()
	job.WaitAdvance(t, 5*time.Second)
	job.Signal(t, syscall.SIGSTOP)
	stopped := waitJobEvent(t, c2, 0, jobapi.EventStopped)
	if stopped.Signal != "SIGSTOP" || stopped.Pid != job.Pid {
		t.Errorf("stop event %+v, want SIGSTOP of %d", stopped, job.Pid)
	}
	so = jobapi.StateOut{}
	if err := c2.CallAPI("State", rpc2.StateIn{NonBlocking: true}, &so); err != nil || !so.State.Running ||
		so.State.JobControl == nil || so.State.JobControl.State != jobapi.StateStopped || so.State.JobControl.Signal != "SIGSTOP" {
		t.Errorf("State during the stop: running %v, job %+v, %v; want running, stopped by SIGSTOP", so.State.DebuggerState != nil && so.State.Running, so.State.JobControl, err)
	}
	var js jobapi.JobStateOut
	if err := c2.CallAPI("JobState", jobapi.JobStateIn{}, &js); err != nil || js.JobState.State != jobapi.StateStopped {
		t.Errorf("JobState during the stop: %+v, %v", js.JobState, err)
	}
	job.AssertFrozen(t, 300*time.Millisecond)
	var sig jobapi.SignalOut
	if err := c2.CallAPI("Signal", jobapi.SignalIn{Signal: "CONT"}, &sig); err != nil || sig.Text != fmt.Sprintf("sent SIGCONT to process %d", job.Pid) {
		t.Fatalf("Signal CONT: %+v, %v", sig, err)
	}
	cont := waitJobEvent(t, c2, stopped.Seq, jobapi.EventContinued)
	job.WaitAdvance(t, 5*time.Second)
	// The other way round: stopped with the Signal method, continued with
	// kill -CONT.
	if err := c2.CallAPI("Signal", jobapi.SignalIn{Signal: "SIGSTOP"}, &sig); err != nil {
		t.Fatalf("Signal SIGSTOP: %v", err)
	}
	stopped = waitJobEvent(t, c2, cont.Seq, jobapi.EventStopped)
	job.AssertFrozen(t, 300*time.Millisecond)
	job.Signal(t, syscall.SIGCONT)
	waitJobEvent(t, c2, stopped.Seq, jobapi.EventContinued)
	job.WaitAdvance(t, 5*time.Second)
	if _, err := c2.Halt(); err != nil {
		t.Fatalf("Halt: %v", err)
	}
	if st := <-ch; st.Err != nil {
		t.Fatalf("Continue after Halt: %v", st.Err)
	}
	for _, k := range []api.EventKind{api.EventResumed, jobapi.EventJobControl, api.EventStopped} {
		if !evs.has(k) {
			t.Errorf("Delve's event drain did not get an event of kind %d (got %v)", k, evs.kinds)
		}
	}
	// Detach ends the server, as dlv's; the program runs on, untraced.
	if err := c2.Detach(false); err != nil {
		t.Fatalf("Detach: %v", err)
	}
	if st := srv.wait(10 * time.Second); st != 0 {
		t.Errorf("server exited with status %d after Detach", st)
	}
	waitUntracedPid(t, job.Pid, 5*time.Second)
	job.WaitAdvance(t, 5*time.Second)
}

// freePort returns a TCP port free on the loopback now, as GoLand picks
// one for --listen.
func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// GoLand's command lines, exactly: exec and attach.
func TestHeadlessGoLand(t *testing.T) {
	goland := func(t *testing.T) []string {
		return []string{"--listen=127.0.0.1:" + strconv.Itoa(freePort(t)), "--headless=true", "--api-version=2", "--check-go-version=false", "--only-same-user=false"}
	}
	// One client: without --accept-multiclient the server serves only its
	// first connection.
	session := func(t *testing.T, srv *server, c *rpc2.RPCClient, pid int) {
		if st, err := c.GetState(); err != nil || st.Pid != pid {
			t.Fatalf("GetState: %+v, %v; want pid %d", st, err, pid)
		}
		bp, err := c.CreateBreakpoint(&api.Breakpoint{FunctionName: "main.tick"})
		if err != nil {
			t.Fatalf("CreateBreakpoint: %v", err)
		}
		if st := <-c.Continue(); st.Err != nil || st.CurrentThread == nil || st.CurrentThread.Breakpoint == nil || st.CurrentThread.Breakpoint.ID != bp.ID {
			t.Fatalf("Continue: %+v, want breakpoint %d", st, bp.ID)
		}
		if v, err := c.EvalVariable(api.EvalScope{GoroutineID: -1}, "label", api.LoadConfig{MaxStringLen: 64}); err != nil || v.Value != "tick" {
			t.Fatalf("Eval label: %+v, %v", v, err)
		}
		kill := !c.AttachedToExistingProcess()
		if err := c.Detach(kill); err != nil {
			t.Fatalf("Detach(%v): %v", kill, err)
		}
		if st := srv.wait(10 * time.Second); st != 0 {
			t.Errorf("server exited with status %d", st)
		}
	}
	t.Run("exec", func(t *testing.T) {
		bin := testprog.Build(t, "counter")
		counter := NewCounter(t).Path
		srv := startServer(t, "dlv-listen", dlvListen, append(goland(t), "exec", bin, "--", "-out", counter)...)
		c := srv.dial(t)
		pid := c.ProcessPid()
		session(t, srv, c, pid)
		WaitGone(t, pid, 5*time.Second)
	})
	t.Run("attach", func(t *testing.T) {
		job := testprog.Start(t, "counter")
		srv := startServer(t, "dlv-listen", dlvListen, append(goland(t), "attach", pidArg(job.Pid))...)
		session(t, srv, srv.dial(t), job.Pid)
		waitUntracedPid(t, job.Pid, 5*time.Second)
		job.WaitAdvance(t, 5*time.Second)
	})
}

// dapCall sends a DAP request on conn and reads messages until its
// response, which it returns decoded.
func dapCall(t *testing.T, conn net.Conn, r *bufio.Reader, seq int, command string, args any) map[string]any {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"seq": seq, "type": "request", "command": command, "arguments": args})
	if _, err := fmt.Fprintf(conn, "Content-Length: %d\r\n\r\n%s", len(body), body); err != nil {
		t.Fatalf("DAP %s: %v", command, err)
	}
	conn.SetReadDeadline(time.Now().Add(testprog.Timeout(CmdTimeout)))
	for {
		var n int
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				t.Fatalf("DAP %s: reading the answer: %v", command, err)
			}
			if line == "\r\n" {
				break
			}
			fmt.Sscanf(line, "Content-Length: %d", &n)
		}
		msg := make([]byte, n)
		if _, err := io.ReadFull(r, msg); err != nil {
			t.Fatalf("DAP %s: %v", command, err)
		}
		var m map[string]any
		if err := json.Unmarshal(msg, &m); err != nil {
			t.Fatalf("DAP %s: %v in %s", command, err, msg)
		}
		if m["type"] == "response" && m["command"] == command {
			return m
		}
	}
}

// One port, two protocols: a DAP client attaches to the headless session
// (mode remote) and leaves, then a JSON-RPC client finds the session as it
// was (--accept-multiclient) and detaches.
func TestHeadlessServesDAPAndRPC(t *testing.T) {
	job := testprog.Start(t, "counter")
	srv := startServer(t, "dlv-listen", dlvListen, append([]string{"attach", pidArg(job.Pid)}, headlessArgs("--accept-multiclient")...)...)
	conn := srv.rawConn(t)
	r := bufio.NewReader(conn)
	for i, req := range []struct {
		command string
		args    any
	}{
		{"initialize", map[string]any{"adapterID": "go"}},
		{"attach", map[string]any{"mode": "remote"}},
		{"disconnect", map[string]any{}},
	} {
		if m := dapCall(t, conn, r, i+1, req.command, req.args); m["success"] != true {
			t.Fatalf("DAP %s on the headless port: %v", req.command, m)
		}
	}
	conn.Close()
	c := srv.dial(t)
	if st, err := c.GetState(); err != nil || st.Pid != job.Pid {
		t.Fatalf("JSON-RPC after DAP: %+v, %v", st, err)
	}
	if tracer := tracerOf(t, job.Pid); tracer == 0 {
		t.Fatalf("the DAP client's disconnect detached the session of a multiclient server")
	}
	if err := c.Detach(false); err != nil {
		t.Fatalf("Detach: %v", err)
	}
	srv.wait(10 * time.Second)
	waitUntracedPid(t, job.Pid, 5*time.Second)
	job.WaitAdvance(t, 5*time.Second)
}

// --continue: the program runs from the start with no client, as with dlv
// (which requires --accept-multiclient for it, with dlv's message).
func TestHeadlessContinue(t *testing.T) {
	bin := testprog.Build(t, "counter")
	counter := NewCounter(t)
	out, err := exec.Command(dlvListen, "exec", bin, "--headless", "--continue", "--", "-out", counter.Path).CombinedOutput()
	if code := exitCode(err); code != 1 || string(out) != "Error: --continue requires --accept-multiclient\n" {
		t.Errorf("--continue without --accept-multiclient: status %d, %q", code, out)
	}
	srv := startServer(t, "dlv-listen", dlvListen, append(append([]string{"exec", bin}, headlessArgs("--accept-multiclient", "--continue")...), "--", "-out", counter.Path)...)
	c := srv.dial(t)
	pid := c.ProcessPid()
	counter.WaitAdvance(t, 10*time.Second)
	if st, err := c.Halt(); err != nil || st.Pid != pid {
		t.Fatalf("Halt: %+v, %v", st, err)
	}
	if err := c.Detach(true); err != nil {
		t.Fatalf("Detach(kill): %v", err)
	}
	if st := srv.wait(10 * time.Second); st != 0 {
		t.Errorf("server exited with status %d", st)
	}
	WaitGone(t, pid, 5*time.Second)
}

func exitCode(err error) int {
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}
