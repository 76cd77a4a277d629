//go:build linux

package dap

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-delve/delve/service/dap/daptest"
	"github.com/google/go-dap"

	"github.com/dlv-listen/dlv-listen/internal/testprog"
)

// timeout bounds one DAP exchange on a loaded machine; launches (debug
// information loading) get startTimeout. Both stretch by
// DLV_LISTEN_TEST_TIMEOUT_SCALE (an emulated machine).
var (
	timeout      = testprog.Timeout(30 * time.Second)
	startTimeout = testprog.Timeout(90 * time.Second)
)

func TestMain(m *testing.M) {
	code := m.Run()
	testprog.RemoveBuilds()
	os.Exit(code)
}

// testClient is a daptest client (for sending) on a server of ours served
// over a loopback connection; replies are read here, with deadlines, so
// that dlv-listen's custom event can be decoded too.
type testClient struct {
	*daptest.Client
	t    *testing.T
	conn net.Conn
	rd   *bufio.Reader
	done chan error
	// seen keeps the events read while waiting for something else.
	seen []dap.Message
}

// testCodec decodes DAP plus dlv-listen's custom event and response.
var testCodec = func() *dap.Codec {
	c := dap.NewCodec()
	if err := c.RegisterEvent(jobControlEventName, func() dap.Message { return &jobControlEvent{} }); err != nil {
		panic(err)
	}
	if err := c.RegisterRequest(signalCommand, func() dap.Message { return &signalRequest{} }, func() dap.Message { return &signalResponse{} }); err != nil {
		panic(err)
	}
	return c
}()

func newTestClient(t *testing.T) *testClient {
	t.Helper()
	return newTestClientOn(t, nil)
}

// newTestClientOn is newTestClient with control run on the server's
// listening socket (its connection inherits the options) and on the
// client's before it connects.
func newTestClientOn(t *testing.T, control func(network, address string, c syscall.RawConn) error) *testClient {
	t.Helper()
	l, err := (&net.ListenConfig{Control: control}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tc := &testClient{t: t, done: make(chan error, 1)}
	go func() {
		c, err := l.Accept()
		l.Close()
		if err != nil {
			tc.done <- err
			return
		}
		tc.done <- NewServer(Config{Log: t.Logf}).ServeConn(c, nil)
	}()
	conn, err := (&net.Dialer{Control: control}).Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	tc.conn = conn
	tc.rd = bufio.NewReader(conn)
	tc.Client = daptest.NewClientFromConn(conn)
	t.Cleanup(func() {
		conn.Close()
		select {
		case <-tc.done:
		case <-time.After(startTimeout):
			t.Errorf("the server did not end within %v of the client closing", startTimeout)
		}
	})
	return tc
}

// read returns the next message, failing the test after d.
func (tc *testClient) read(d time.Duration) dap.Message {
	tc.t.Helper()
	tc.conn.SetReadDeadline(time.Now().Add(d))
	content, err := dap.ReadBaseMessage(tc.rd)
	if err != nil {
		tc.t.Fatalf("reading a DAP message: %v", err)
	}
	if os.Getenv("DAPTEST_TRACE") != "" {
		tc.t.Logf("<- %s", content)
	}
	m, err := testCodec.DecodeMessage(content)
	if err != nil {
		tc.t.Fatalf("decoding DAP message %s: %v", content, err)
	}
	return m
}

// expect reads until a message of type T comes, keeping the events it
// passes and failing on an unexpected error response.
func expect[T dap.Message](tc *testClient, d time.Duration) T {
	tc.t.Helper()
	deadline := time.Now().Add(d)
	for {
		m := tc.read(time.Until(deadline))
		if got, ok := m.(T); ok {
			return got
		}
		switch m := m.(type) {
		case dap.EventMessage:
			tc.seen = append(tc.seen, m)
		case *dap.ErrorResponse:
			var zero T
			tc.t.Fatalf("waiting for %T: error response to %s: %s", zero, m.Command, m.Body.Error.Format)
		}
	}
}

// expectOutput reads until an output event whose text contains sub.
func (tc *testClient) expectOutput(sub string, d time.Duration) *dap.OutputEvent {
	tc.t.Helper()
	for i, m := range tc.seen {
		if o, ok := m.(*dap.OutputEvent); ok && strings.Contains(o.Body.Output, sub) {
			tc.seen = append(tc.seen[:i:i], tc.seen[i+1:]...)
			return o
		}
	}
	deadline := time.Now().Add(d)
	for {
		o := expect[*dap.OutputEvent](tc, time.Until(deadline))
		if strings.Contains(o.Body.Output, sub) {
			return o
		}
		// Kept: another expectation may be about it.
		tc.seen = append(tc.seen, o)
	}
}

// expectEvent returns the first event of type T already read, or reads
// until one comes.
func expectEvent[T dap.Message](tc *testClient, d time.Duration) T {
	tc.t.Helper()
	for i, m := range tc.seen {
		if x, ok := m.(T); ok {
			tc.seen = append(tc.seen[:i:i], tc.seen[i+1:]...)
			return x
		}
	}
	return expect[T](tc, d)
}

// seenOf returns the events of type T read so far and forgets them.
func seenOf[T dap.Message](tc *testClient) []T {
	var out []T
	rest := tc.seen[:0]
	for _, m := range tc.seen {
		if x, ok := m.(T); ok {
			out = append(out, x)
		} else {
			rest = append(rest, m)
		}
	}
	tc.seen = rest
	return out
}

// sourceLine returns the line of dapprog's source holding marker.
func sourceLine(t *testing.T, marker string) (string, int) {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	path := filepath.Join(filepath.Dir(file), "..", "..", "internal", "testprog", "src", "dapprog", "main.go")
	path, _ = filepath.Abs(path)
	return path, markerLine(t, path, marker)
}

// markerLine returns the line of the source file path holding marker.
func markerLine(t *testing.T, path, marker string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		if strings.Contains(sc.Text(), marker) {
			return n
		}
	}
	t.Fatalf("%s: no line with %q", path, marker)
	return 0
}

func (tc *testClient) initialize() {
	tc.InitializeRequestWithArgs(dap.InitializeRequestArguments{
		AdapterID: "go", PathFormat: "path", LinesStartAt1: true, ColumnsStartAt1: true,
		SupportsVariableType: true, SupportsVariablePaging: true, SupportsMemoryReferences: true,
	})
	expect[*dap.InitializeResponse](tc, timeout)
}

// launchDapprog launches dapprog (exec mode) and stops at a breakpoint on
// the line marked by marker.
func (tc *testClient) launchDapprog(marker string, extra map[string]any) (pid int, stop *dap.StoppedEvent) {
	t := tc.t
	t.Helper()
	bin := testprog.Build(t, "dapprog")
	tc.initialize()
	args := map[string]any{"request": "launch", "mode": "exec", "program": bin, "args": []string{"-period", "1ms"}}
	for k, v := range extra {
		args[k] = v
	}
	tc.LaunchRequestWithArgs(args)
	pe := expect[*dap.ProcessEvent](tc, startTimeout)
	expect[*dap.InitializedEvent](tc, timeout)
	expect[*dap.LaunchResponse](tc, timeout)
	return pe.Body.SystemProcessId, tc.configureToBreakpoint(marker)
}

// configureToBreakpoint sets a breakpoint on the line of dapprog marked by
// marker, ends the configuration and waits for the stop there.
func (tc *testClient) configureToBreakpoint(marker string) *dap.StoppedEvent {
	t := tc.t
	t.Helper()
	path, line := sourceLine(t, marker)
	tc.SetBreakpointsRequest(path, []int{line})
	bps := expect[*dap.SetBreakpointsResponse](tc, timeout)
	if len(bps.Body.Breakpoints) != 1 || !bps.Body.Breakpoints[0].Verified {
		t.Fatalf("setBreakpoints %s:%d: %+v", path, line, bps.Body.Breakpoints)
	}
	tc.ConfigurationDoneRequest()
	expect[*dap.ConfigurationDoneResponse](tc, timeout)
	stop := expectEvent[*dap.StoppedEvent](tc, startTimeout)
	if stop.Body.Reason != "breakpoint" {
		t.Fatalf("stopped: reason %q, want breakpoint (%+v)", stop.Body.Reason, stop.Body)
	}
	return stop
}

// topFrame returns the top frame of goroutine goid.
func (tc *testClient) topFrame(goid int) dap.StackFrame {
	tc.t.Helper()
	tc.StackTraceRequest(goid, 0, 20)
	st := expect[*dap.StackTraceResponse](tc, timeout)
	if len(st.Body.StackFrames) == 0 {
		tc.t.Fatalf("stackTrace of %d: no frames", goid)
	}
	return st.Body.StackFrames[0]
}

// variables returns the variables of ref by name.
func (tc *testClient) variables(ref int) map[string]dap.Variable {
	tc.t.Helper()
	tc.VariablesRequest(ref)
	vr := expect[*dap.VariablesResponse](tc, timeout)
	out := map[string]dap.Variable{}
	for _, v := range vr.Body.Variables {
		out[v.Name] = v
	}
	return out
}

func (tc *testClient) evaluate(expr string, frame int) *dap.EvaluateResponse {
	tc.t.Helper()
	tc.EvaluateRequest(expr, frame, "repl")
	return expect[*dap.EvaluateResponse](tc, timeout)
}

// pidGone reports whether pid no longer runs (or is a zombie).
func pidGone(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] == 'Z'
}

func waitGone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !pidGone(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("process %d still runs", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestCoreSession: launch, breakpoint, stopped, threads, stackTrace,
// scopes, variables of each kind, evaluate, next, stepIn, stepOut,
// continue, disconnect (the launched program is killed).
func TestCoreSession(t *testing.T) {
	tc := newTestClient(t)
	pid, stop := tc.launchDapprog("work: call inner", nil)
	killAtEnd(t, pid)
	goid := stop.Body.ThreadId

	tc.ThreadsRequest()
	th := expect[*dap.ThreadsResponse](tc, timeout)
	found := false
	for _, x := range th.Body.Threads {
		found = found || x.Id == goid
	}
	if !found {
		t.Fatalf("threads %+v lack the stopped goroutine %d", th.Body.Threads, goid)
	}

	top := tc.topFrame(goid)
	_, line := sourceLine(t, "work: call inner")
	if top.Name != "main.work" || top.Line != line {
		t.Fatalf("top frame %s:%d, want main.work:%d", top.Name, top.Line, line)
	}
	tc.ScopesRequest(top.Id)
	sc := expect[*dap.ScopesResponse](tc, timeout)
	if len(sc.Body.Scopes) != 1 || sc.Body.Scopes[0].Name != "Locals" {
		t.Fatalf("scopes: %+v", sc.Body.Scopes)
	}
	locals := tc.variables(sc.Body.Scopes[0].VariablesReference)
	for name, want := range map[string]string{"i": "", "pt": "main.point", "sl": "[]int", "mp": "map[string]int", "ptr": "*main.point", "sh": "main.shape(main.rect)"} {
		v, ok := locals[name]
		if !ok {
			t.Fatalf("locals lack %s: %+v", name, locals)
		}
		if want != "" && v.Type != want {
			t.Errorf("%s: type %q, want %q", name, v.Type, want)
		}
		if name != "i" && v.VariablesReference == 0 {
			t.Errorf("%s: no children reference", name)
		}
	}
	pt := tc.variables(locals["pt"].VariablesReference)
	if pt["Name"].Value != `"pt"` || pt["X"].EvaluateName != "pt.X" {
		t.Errorf("pt children: %+v", pt)
	}
	sl := tc.variables(locals["sl"].VariablesReference)
	if sl["[0]"].Value != "1" || sl["[2]"].Value != "3" {
		t.Errorf("sl children: %+v", sl)
	}
	mp := tc.variables(locals["mp"].VariablesReference)
	if mp[`"one"`].Value != "1" || mp["len()"].Value != "2" {
		t.Errorf("mp children: %+v", mp)
	}

	ev := tc.evaluate("pt.X * 10", top.Id)
	if ev.Body.Result != fmt.Sprint(10*mustAtoi(t, locals["i"].Value)) {
		t.Errorf("evaluate pt.X*10 = %q with i = %s", ev.Body.Result, locals["i"].Value)
	}

	// next: to the line after the call.
	tc.NextRequest(goid)
	expect[*dap.NextResponse](tc, timeout)
	st := expect[*dap.StoppedEvent](tc, timeout)
	if st.Body.Reason != "step" {
		t.Fatalf("after next: stopped %+v", st.Body)
	}
	_, after := sourceLine(t, "work: after inner")
	if f := tc.topFrame(goid); f.Line != after {
		t.Fatalf("after next at %s:%d, want line %d", f.Name, f.Line, after)
	}

	// continue to the breakpoint again, then stepIn into inner, stepOut.
	tc.ContinueRequest(goid)
	expect[*dap.ContinueResponse](tc, timeout)
	st = expect[*dap.StoppedEvent](tc, timeout)
	if st.Body.Reason != "breakpoint" {
		t.Fatalf("after continue: %+v", st.Body)
	}
	tc.StepInRequest(goid)
	expect[*dap.StepInResponse](tc, timeout)
	expect[*dap.StoppedEvent](tc, timeout)
	if f := tc.topFrame(goid); f.Name != "main.inner" {
		t.Fatalf("after stepIn in %s:%d, want main.inner", f.Name, f.Line)
	}
	tc.StepOutRequest(goid)
	expect[*dap.StepOutResponse](tc, timeout)
	expect[*dap.StoppedEvent](tc, timeout)
	if f := tc.topFrame(goid); f.Name != "main.work" {
		t.Fatalf("after stepOut in %s:%d, want main.work", f.Name, f.Line)
	}

	tc.DisconnectRequest()
	expect[*dap.DisconnectResponse](tc, timeout)
	expect[*dap.TerminatedEvent](tc, timeout)
	waitGone(t, pid)
}
