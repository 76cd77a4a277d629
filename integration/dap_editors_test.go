//go:build linux

package integration

// The DAP server started each way an editor starts `dlv dap`, each with a
// full debugging session (dapFullSession):
//
//   - VS Code Go: `dap --listen=127.0.0.1:<port> --log-dest=3` with pipes,
//     the banner read from fd 3; launch mode "debug" (the build included).
//   - VS Code Go, console integratedTerminal: `dap --client-addr=:<port>` in a
//     terminal; the test listens, the server dials in and exits 0 when the
//     connection closes; launch mode "exec".
//   - nvim-dap-go: `dap -l 127.0.0.1:<port>` detached (setsid), stdin
//     /dev/null, connect with retries; attach to a running program and
//     disconnect leaving it running.
//   - Helix: `dap -l 127.0.0.1:<port>` (its port-arg split on spaces) with
//     all stdio /dev/null; launch "exec".
//   - Zed: `dap --listen 127.0.0.1:<port>` in a pty; attach.

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-dap"

	"github.com/dlv-listen/dlv-listen/internal/testprog"
)

// dapprogIterations is how long a launched dapprog runs: long enough for
// the session's stops, short enough to run to its end after them.
const dapprogIterations = 300

func TestDAPVSCodePipes(t *testing.T) {
	needGoCommand(t, "vscode-go's launch (mode debug)")
	bin := dapServerBin(t)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	addr := freeLoopbackAddr(t)
	// vscode-go's spawnDlvDapServerProcess: four pipes, and
	// `dap [dlvFlags] --listen=HOST:PORT --log-dest=3`; some releases also
	// pass --check-go-version=false.
	s := startDAPPiped(t, "vscode dap", bin, []*os.File{w}, false, "--check-go-version=false", "--listen="+addr, "--log-dest=3")
	w.Close()
	if got := readBanner(t, s, r); got != addr {
		t.Fatalf("banner names %q, want %q", got, addr)
	}
	c := newDAPClient(t, dialRetry(t, s, addr))
	dapFullSession(t, c, s, map[string]any{
		"request": "launch", "mode": "debug",
		"program": filepath.Join(moduleRoot, "internal/testprog/src/dapprog"),
		"output":  filepath.Join(t.TempDir(), "__debug_bin"),
		"cwd":     moduleRoot,
		"args":    []string{"-iterations", fmt.Sprint(dapprogIterations)},
	}, 0)
	if st := s.waitExit(t, dapTimeout); st != 0 {
		t.Errorf("server exit status %d after disconnect, want 0", st)
	}
}

func TestDAPVSCodeIntegratedTerminal(t *testing.T) {
	bin := dapServerBin(t)
	prog := dapprogBin(t)
	l := listenLoopback(t)
	// vscode-go's startDAPServerWithClientAddrFlag: a runInTerminal
	// request for `dap --client-addr=:PORT` (no host).
	s := startDAPInPty(t, "vscode integratedTerminal dap", bin, "--client-addr="+clientAddr(l))
	c := newDAPClient(t, acceptDeadline(t, l, s))
	dapFullSession(t, c, s, map[string]any{
		"request": "launch", "mode": "exec", "program": prog, "console": "integratedTerminal",
		"args": []string{"-iterations", fmt.Sprint(dapprogIterations)},
	}, 0)
	if st := s.waitExit(t, dapTimeout); st != 0 {
		t.Errorf("server exit status %d after the connection closed, want 0", st)
	}
	// The program had the terminal: its output is there.
	s.term.Expect("dapprog: done", dapTimeout)
}

func TestDAPNvimDapGo(t *testing.T) {
	bin := dapServerBin(t)
	job := testprog.Start(t, "dapprog")
	addr := freeLoopbackAddr(t)
	s := startDAPPiped(t, "nvim-dap-go dap", bin, nil, true, "-l", addr)
	c := newDAPClient(t, dialRetry(t, s, addr))
	dapFullSession(t, c, s, map[string]any{"request": "attach", "mode": "local", "processId": job.Pid}, job.Pid)
	job.WaitAdvance(t, dapTimeout)
	WaitUntraced(t, job.Pid, "running", dapTimeout)
	s.waitExit(t, dapTimeout)
}

func TestDAPHelix(t *testing.T) {
	bin := dapServerBin(t)
	prog := dapprogBin(t)
	addr := freeLoopbackAddr(t)
	s := startDAPDevNull(t, "helix dap", bin, "-l", addr)
	c := newDAPClient(t, dialRetry(t, s, addr))
	c.initArgs = helixInitArgs()
	dapFullSession(t, c, s, map[string]any{
		"request": "launch", "mode": "exec", "program": prog,
		"args": []string{"-iterations", fmt.Sprint(dapprogIterations)},
	}, 0)
	if st := s.waitExit(t, dapTimeout); st != 0 {
		t.Errorf("server exit status %d after disconnect, want 0", st)
	}
}

// helixInitArgs are the arguments of helix-dap's Client::initialize.
func helixInitArgs() *dap.InitializeRequestArguments {
	return &dap.InitializeRequestArguments{
		ClientID: "hx", ClientName: "helix", AdapterID: "go", Locale: "en-us",
		LinesStartAt1: true, ColumnsStartAt1: true, PathFormat: "path",
		SupportsVariableType: true, SupportsRunInTerminalRequest: true,
	}
}

func TestDAPZed(t *testing.T) {
	bin := dapServerBin(t)
	job := testprog.Start(t, "dapprog")
	addr := freeLoopbackAddr(t)
	s := startDAPInPty(t, "zed dap", bin, "--listen", addr)
	c := newDAPClient(t, dialRetry(t, s, addr))
	// The attach of Zed's Delve schema (a scenario from Zed's own picker
	// sends mode "debug", which dlv refuses: TestDAPBadInput).
	dapFullSession(t, c, s, map[string]any{"request": "attach", "mode": "local", "processId": job.Pid}, job.Pid)
	job.WaitAdvance(t, dapTimeout)
	WaitUntraced(t, job.Pid, "running", dapTimeout)
	s.waitExit(t, dapTimeout)
}

// dapFullSession drives one session on dapprog: launch or attach (args),
// a breakpoint in work, stopped, threads, stackTrace, scopes, variables of
// each kind, evaluate, setVariable, stepIn, stepOut, next, a conditional
// breakpoint; then a launched program (attachedPid 0) runs to its end and
// the client disconnects, or the client disconnects from an attached
// program, leaving it running (checked by the caller).
func dapFullSession(t *testing.T, c *dapClient, s *dapServer, args map[string]any, attachedPid int) {
	t.Helper()
	src := dapprogSource(t)

	caps := c.initialize()
	if !caps.Body.SupportsConfigurationDoneRequest || !caps.Body.SupportsConditionalBreakpoints || !caps.Body.SupportsSetVariable {
		t.Errorf("initialize: capabilities %+v lack configurationDone, conditional breakpoints or setVariable", caps.Body)
	}
	if args["request"] == "attach" {
		c.AttachRequest(args)
		dapExpect[*dap.InitializedEvent](c, dapStartTimeout)
		dapExpect[*dap.AttachResponse](c, dapStartTimeout)
	} else {
		c.LaunchRequestWithArgs(args)
		dapExpect[*dap.InitializedEvent](c, dapStartTimeout)
		dapExpect[*dap.LaunchResponse](c, dapStartTimeout)
	}

	c.SetBreakpointsRequest(src.file, []int{src.callInner})
	bps := dapExpect[*dap.SetBreakpointsResponse](c, dapTimeout)
	if len(bps.Body.Breakpoints) != 1 || !bps.Body.Breakpoints[0].Verified || bps.Body.Breakpoints[0].Line != src.callInner {
		t.Fatalf("setBreakpoints %s:%d = %+v, want one verified breakpoint on that line", src.file, src.callInner, bps.Body.Breakpoints)
	}
	c.ConfigurationDoneRequest()
	dapExpect[*dap.ConfigurationDoneResponse](c, dapTimeout)
	stop := expectStopped(t, c, "breakpoint", dapStartTimeout)
	tid := stop.Body.ThreadId

	c.ThreadsRequest()
	threads := dapExpect[*dap.ThreadsResponse](c, dapTimeout)
	found := false
	for _, th := range threads.Body.Threads {
		found = found || th.Id == tid
	}
	if !found {
		t.Errorf("threads %+v: no thread %d, the stopped one", threads.Body.Threads, tid)
	}

	frame := expectTop(t, c, tid, "main.work", src.callInner)
	i0 := c.evalInt("i", frame)

	// Scopes and variables of each kind.
	c.ScopesRequest(frame)
	scopes := dapExpect[*dap.ScopesResponse](c, dapTimeout)
	if len(scopes.Body.Scopes) == 0 || scopes.Body.Scopes[0].Name != "Locals" {
		t.Fatalf("scopes = %+v, want Locals first", scopes.Body.Scopes)
	}
	locals := variables(t, c, scopes.Body.Scopes[0].VariablesReference)
	pt := wantVar(t, locals, "pt", "main.point", `^main\.point \{X: \d+, Y: \d+, Name: "pt"\}$`, true)
	sl := wantVar(t, locals, "sl", "[]int", `^\[\]int len: 4, cap: 4, \[1,2,3,\d+\]$`, true)
	mp := wantVar(t, locals, "mp", "map[string]int", `^map\[string\]int \[.*"one": 1, .*\]$`, true)
	ptr := wantVar(t, locals, "ptr", "*main.point", `^\*main\.point \{X: \d+, Y: \d+, Name: "pt"\}$`, true)
	sh := wantVar(t, locals, "sh", "main.shape(main.rect)", `^main\.shape\(main\.rect\) \{W: 3, H: \d+\}$`, true)
	wantVar(t, locals, "i", "int", fmt.Sprintf("^%d$", i0), false)
	wantVar(t, variables(t, c, pt.VariablesReference), "X", "int", fmt.Sprintf("^%d$", i0), false)
	wantVar(t, variables(t, c, sl.VariablesReference), "[3]", "int", fmt.Sprintf("^%d$", i0), false)
	wantVar(t, variables(t, c, mp.VariablesReference), `"i"`, "string: int", fmt.Sprintf("^%d$", i0), false)
	wantVar(t, variables(t, c, ptr.VariablesReference), "", "main.point", `^main\.point \{X: \d+`, true)
	wantVar(t, variables(t, c, sh.VariablesReference), "data", "main.rect", `^main\.rect \{W: 3, H: \d+\}$`, true)

	// evaluate in each context an editor uses.
	for _, ctx := range []string{"watch", "hover", "repl"} {
		if got := c.evalInt("pt.X*10 + len(sl) + mp[\"one\"]", frame); got != i0*10+5 {
			t.Errorf("evaluate (%s) pt.X*10 + len(sl) + mp[\"one\"] = %d, want %d", ctx, got, i0*10+5)
		}
	}

	// setVariable on a struct field, seen through the pointer in inner.
	c.SetVariableRequest(pt.VariablesReference, "X", "41")
	if sv := dapExpect[*dap.SetVariableResponse](c, dapTimeout); sv.Body.Value != "41" {
		t.Errorf("setVariable pt.X = 41: value %q", sv.Body.Value)
	}

	c.StepInRequest(tid)
	dapExpect[*dap.StepInResponse](c, dapTimeout)
	expectStopped(t, c, "step", dapTimeout)
	frame = expectTop(t, c, tid, "main.inner", src.innerEntry)
	if x := c.evalInt("p.X", frame); x != 41 {
		t.Errorf("in inner, p.X = %d after setVariable, want 41", x)
	}

	c.StepOutRequest(tid)
	dapExpect[*dap.StepOutResponse](c, dapTimeout)
	expectStopped(t, c, "step", dapTimeout)
	expectTop(t, c, tid, "main.work", src.callInner)

	c.NextRequest(tid)
	dapExpect[*dap.NextResponse](c, dapTimeout)
	expectStopped(t, c, "step", dapTimeout)
	frame = expectTop(t, c, tid, "main.work", src.afterCall)
	if r := c.evalInt("r", frame); r != (41+4)*2 {
		t.Errorf("r = %d after next, want %d", r, (41+4)*2)
	}

	// A conditional breakpoint: only i == i0+2 stops.
	cond := fmt.Sprintf("i == %d", i0+2)
	c.SetBreakpointsRequestWithArgs(src.file, []int{src.callInner}, map[int]string{src.callInner: cond}, nil, nil)
	bps = dapExpect[*dap.SetBreakpointsResponse](c, dapTimeout)
	if len(bps.Body.Breakpoints) != 1 || !bps.Body.Breakpoints[0].Verified {
		t.Fatalf("setBreakpoints with condition %q = %+v", cond, bps.Body.Breakpoints)
	}
	c.ContinueRequest(tid)
	dapExpect[*dap.ContinueResponse](c, dapTimeout)
	stop = expectStopped(t, c, "breakpoint", dapTimeout)
	tid = stop.Body.ThreadId
	frame = expectTop(t, c, tid, "main.work", src.callInner)
	if i := c.evalInt("i", frame); i != i0+2 {
		t.Errorf("stopped at the conditional breakpoint (%s) with i = %d", cond, i)
	}

	c.SetBreakpointsRequest(src.file, nil)
	dapExpect[*dap.SetBreakpointsResponse](c, dapTimeout)
	if attachedPid == 0 {
		c.ContinueRequest(tid)
		dapExpect[*dap.ContinueResponse](c, dapTimeout)
		dapExpect[*dap.TerminatedEvent](c, dapStartTimeout)
		c.DisconnectRequest()
		dapExpect[*dap.DisconnectResponse](c, dapTimeout)
	} else {
		c.DisconnectRequestWithKillOption(false)
		dapExpect[*dap.DisconnectResponse](c, dapTimeout)
	}
	c.expectClosed(dapTimeout)
	if attachedPid == 0 && !regexp.MustCompile(`Process \d+ has exited with status 0\n`).MatchString(c.outputText()) {
		t.Errorf("output events %q do not say the process exited with status 0", c.outputText())
	}
	if attachedPid != 0 {
		if st, _, err := testprog.ProcStat(attachedPid); err != nil || st == 'Z' {
			t.Fatalf("attached program %d is gone after disconnect without terminateDebuggee", attachedPid)
		}
	}
}

// expectStopped waits for a stopped event with the given reason.
func expectStopped(t *testing.T, c *dapClient, reason string, timeout time.Duration) *dap.StoppedEvent {
	t.Helper()
	ev := dapExpect[*dap.StoppedEvent](c, timeout)
	if ev.Body.Reason != reason {
		t.Fatalf("stopped event %+v, want reason %q", ev.Body, reason)
	}
	return ev
}

// expectTop checks the top frame of thread tid (function and line) and
// returns its frame id.
func expectTop(t *testing.T, c *dapClient, tid int, fn string, line int) int {
	t.Helper()
	c.StackTraceRequest(tid, 0, 20)
	st := dapExpect[*dap.StackTraceResponse](c, dapTimeout)
	if len(st.Body.StackFrames) == 0 {
		t.Fatalf("stackTrace of thread %d: no frames", tid)
	}
	top := st.Body.StackFrames[0]
	if top.Name != fn || top.Line != line || top.Source == nil || !strings.HasSuffix(top.Source.Path, "dapprog/main.go") {
		t.Fatalf("top frame of thread %d = %s at %v:%d, want %s at dapprog/main.go:%d", tid, top.Name, top.Source, top.Line, fn, line)
	}
	if st.Body.TotalFrames < 2 {
		t.Errorf("stackTrace totalFrames = %d, want the caller frames counted", st.Body.TotalFrames)
	}
	return top.Id
}

func variables(t *testing.T, c *dapClient, ref int) []dap.Variable {
	t.Helper()
	if ref == 0 {
		t.Fatal("variables: reference 0")
	}
	c.VariablesRequest(ref)
	return dapExpect[*dap.VariablesResponse](c, dapTimeout).Body.Variables
}

// wantVar finds the variable name in vs and checks its type, its value
// (a regexp) and whether it has children.
func wantVar(t *testing.T, vs []dap.Variable, name, typ, value string, children bool) dap.Variable {
	t.Helper()
	for _, v := range vs {
		if v.Name != name {
			continue
		}
		if v.Type != typ || !regexp.MustCompile(value).MatchString(v.Value) || (v.VariablesReference != 0) != children {
			t.Errorf("variable %q = {type %q, value %q, ref %d}, want type %q, value ~ %q, children %v", name, v.Type, v.Value, v.VariablesReference, typ, value, children)
		}
		return v
	}
	var names []string
	for _, v := range vs {
		names = append(names, v.Name)
	}
	t.Fatalf("no variable %q among %q", name, names)
	return dap.Variable{}
}
