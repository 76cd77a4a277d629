//go:build linux

package integration

// dump and core from the command line: `dump` in an attach session writes a
// core that `dlv-listen core` opens with the same goroutines, stack and
// values the live session showed; the same file through stock `dlv core`
// answers the same; headless, JSON-RPC and DAP on one listener; bad input.

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-delve/delve/service/api"
	"github.com/google/go-dap"

	"github.com/dlv-listen/dlv-listen/internal/testprog"
)

// coreInspect are the commands whose answers a core must share with the
// live process it was dumped from.
var coreInspect = []string{"goroutines", "stack", "goroutine 1 stack", "print main.sink", "threads"}

// dumpFromTerminal attaches a terminal to a running counter, dumps it to a
// file with `dump`, records coreInspect's answers while the process is
// still held, and exits leaving it running. It returns the job, the core
// and the answers.
func dumpFromTerminal(t *testing.T) (*testprog.Job, string, map[string]string) {
	t.Helper()
	job := testprog.Start(t, "counter")
	job.WaitAdvance(t, 5*time.Second)
	tm := startDlv(t, "attach", strconv.Itoa(job.Pid))
	path := filepath.Join(t.TempDir(), "core")
	out := tm.Command("dump "+path, CmdTimeout)
	m := regexp.MustCompile(`Dumping memory (\d+) / (\d+)\.\.\.\s*$`).FindStringSubmatch(out)
	if m == nil || m[1] != m[2] || strings.Contains(out, "error") {
		t.Fatalf("dump printed %q, want its progress ending with all memory dumped", out)
	}
	live := map[string]string{}
	for _, cmd := range coreInspect {
		live[cmd] = tm.Command(cmd, CmdTimeout)
	}
	exitLeavingRunning(t, tm, job)
	return job, path, live
}

// TestCoreTerminal: the core answers as the live process did at the dump;
// what needs a live process answers as dlv does on a core.
func TestCoreTerminal(t *testing.T) {
	job, path, live := dumpFromTerminal(t)
	tm := startDlv(t, "core", job.Bin, path)
	for _, cmd := range coreInspect {
		if got := tm.Command(cmd, CmdTimeout); got != live[cmd] {
			t.Errorf("%s on the core:\n%s\nlive at the dump:\n%s", cmd, got, live[cmd])
		}
	}
	for cmd, want := range map[string]string{
		"continue":            "can not continue execution of core process",
		"next":                "can not continue execution of core process",
		"break main.tick":     "cannot write a breakpoint to a core file",
		"dump " + path + ".2": "core dumping not supported",
		"jobs":                "no live process: the session is on core file " + path,
	} {
		if got := tm.Command(cmd, CmdTimeout); !strings.Contains(got, want) {
			t.Errorf("%s on the core: %q, want %q", cmd, got, want)
		}
	}
	tm.SendLine("exit")
	if st := tm.Wait(10 * time.Second); st != 0 {
		t.Errorf("dlv-listen core exited with status %d", st)
	}
}

// writeScript writes an --init script running cmds, each preceded by a
// print of a marker, then exit.
func writeScript(t *testing.T, cmds []string) string {
	t.Helper()
	var script strings.Builder
	for _, c := range cmds {
		script.WriteString("print \"### " + c + "\"\n" + c + "\n")
	}
	script.WriteString("exit\n")
	path := filepath.Join(t.TempDir(), "script")
	if err := os.WriteFile(path, []byte(script.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// runScript runs `bin core exe path --init init` (made by writeScript)
// without a terminal and returns its output split into one section per
// script command.
func runScript(t testing.TB, bin, exe, path, init string) map[string]string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testprog.Timeout(StartTimeout))
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "core", exe, path, "--init", init, "--allow-non-terminal-interactive=true")
	cmd.Env = append(os.Environ(), "TERM=dumb", "XDG_CONFIG_HOME="+t.TempDir(), NoTelemetryEnv)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s core: %v\n%s", bin, err, out)
	}
	sections := map[string]string{}
	var cur string
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		line := sc.Text()
		if c, ok := strings.CutPrefix(line, `"### `); ok {
			cur = strings.TrimSuffix(c, `"`)
			continue
		}
		if cur != "" {
			sections[cur] += line + "\n"
		}
	}
	return sections
}

// TestCoreSideBySide: the same core through stock `dlv core` and
// `dlv-listen core` gives the same goroutines, stacks and values, and the
// same refusals. The core is one file, so addresses need no normalising.
func TestCoreSideBySide(t *testing.T) {
	if testing.Short() {
		t.Skip("needs `go install` of stock dlv (skipped in -short mode)")
	}
	dlv := StockDlv(t)
	cmds := append(append([]string{}, coreInspect...), "print main.tick", "continue", "restart", "call main.helper(1)", "set main.sink=1")
	script := writeScript(t, cmds) // one file: error lines name it
	compare := func(t *testing.T, exe, path string) {
		// Stock dlv is the reference: dlv-listen's run must go through
		// even when stock dlv's does not, and then the test is skipped
		// saying so.
		var want map[string]string
		ref := Try(t, func(tb testing.TB) { want = runScript(tb, dlv, exe, path, script) })
		got := runScript(t, dlvListen, exe, path, script)
		if !ref.OK {
			t.Skipf("stock dlv %s failed, not dlv-listen (whose run was not compared): %s", StockDlvVersion, ref.Msg)
		}
		var silent []string // commands stock dlv printed nothing for
		for _, c := range cmds {
			switch {
			case want[c] == "" && got[c] == "":
				t.Errorf("neither stock dlv nor dlv-listen printed anything for %q", c)
			case want[c] == "":
				silent = append(silent, c)
			case got[c] != want[c]:
				t.Errorf("%s:\ndlv-listen:\n%s\nstock dlv:\n%s", c, got[c], want[c])
			}
		}
		if len(silent) > 0 {
			t.Skipf("stock dlv %s failed, not dlv-listen: it printed nothing for %q", StockDlvVersion, silent)
		}
	}
	t.Run("dump", func(t *testing.T) {
		job, path, _ := dumpFromTerminal(t)
		compare(t, job.Bin, path)
	})
	t.Run("kernel", func(t *testing.T) {
		exe, path := testprog.KernelCore(t, "counter")
		compare(t, exe, path)
	})
}

// TestCoreHeadless: `dlv-listen core --headless` serves JSON-RPC and DAP
// on one listener.
func TestCoreHeadless(t *testing.T) {
	job, path, live := dumpFromTerminal(t)
	srv := startServer(t, "dlv-listen", dlvListen, append([]string{"core", job.Bin, path}, headlessArgs("--accept-multiclient")...)...)

	c := srv.dial(t)
	v, err := c.EvalVariable(api.EvalScope{GoroutineID: -1}, "main.sink", api.LoadConfig{})
	if err != nil || !strings.Contains(live["print main.sink"], v.Value) {
		t.Fatalf("main.sink over JSON-RPC: %+v, %v; live %q", v, err, live["print main.sink"])
	}
	gs, _, err := c.ListGoroutines(0, 0)
	if err != nil || len(gs) == 0 {
		t.Fatalf("ListGoroutines: %d, %v", len(gs), err)
	}
	if st := <-c.Continue(); st == nil || st.Err == nil || !strings.Contains(st.Err.Error(), "can not continue execution of core process") {
		t.Fatalf("Continue over JSON-RPC: %+v", st)
	}

	conn := srv.rawConn(t)
	r := bufio.NewReader(conn)
	seq := 0
	call := func(command string, args any) map[string]any {
		seq++
		m := dapCall(t, conn, r, seq, command, args)
		if m["success"] != true {
			t.Fatalf("DAP %s on the core: %v", command, m)
		}
		return m
	}
	call("initialize", map[string]any{"adapterID": "go", "pathFormat": "path", "linesStartAt1": true, "columnsStartAt1": true})
	call("attach", map[string]any{"mode": "remote"})
	st := call("stackTrace", map[string]any{"threadId": 1, "levels": 50})
	frames, _ := st["body"].(map[string]any)["stackFrames"].([]any)
	var names []string
	for _, f := range frames {
		names = append(names, f.(map[string]any)["name"].(string))
	}
	checkFrames(t, names, live["goroutine 1 stack"])
	ev := call("evaluate", map[string]any{"expression": "main.sink", "context": "repl"})
	if res := ev["body"].(map[string]any)["result"]; res != v.Value {
		t.Errorf("DAP evaluate main.sink = %v, want %s", res, v.Value)
	}
	call("disconnect", map[string]any{})
	conn.Close()
	if err := srv.dial(t).Detach(true); err != nil {
		t.Fatalf("Detach: %v", err)
	}
	if st := srv.wait(10 * time.Second); st != 0 {
		t.Errorf("headless core server exited with status %d", st)
	}
}

// TestCoreBadInputCLI: each bad input is one line on stderr naming the
// file and the reason, with exit status 1.
func TestCoreBadInputCLI(t *testing.T) {
	dir := t.TempDir()
	counter := testprog.Build(t, "counter")
	other := testprog.Build(t, "threads")
	text := filepath.Join(dir, "text")
	if err := os.WriteFile(text, []byte("hello\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, dumped, _ := dumpFromTerminal(t)
	noTerm := "--allow-non-terminal-interactive"
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"missing core", []string{counter, filepath.Join(dir, "nope")}, "core file " + filepath.Join(dir, "nope") + ": no such file or directory"},
		{"not a core", []string{counter, text}, "core file " + text + " is not a core file: not an ELF file"},
		{"core of another executable", []string{other, dumped}, "core file " + dumped + " was not dumped from " + other + ": the program in it has runtime."},
		{"executable not Go", []string{"/bin/sh", dumped}, "executable /bin/sh is not a Go program: it has no Go build information"},
		{"one argument", []string{counter}, "you must provide a core file and an executable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runBad(t, dir, 30*time.Second, append(append([]string{"core"}, tc.args...), noTerm)...)
			lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
			if r.status != 1 || len(lines) != 1 || !strings.HasPrefix(lines[0], "dlv-listen: "+tc.want) {
				t.Errorf("status %d, stderr %q; want 1 and one line starting %q", r.status, r.stderr, "dlv-listen: "+tc.want)
			}
		})
	}
}

// TestDAPHelixCore: Helix's `core` template (launch, mode "core", program
// and coreFilePath) on `dap -l` started as Helix starts it; answered as
// `dlv dap` answers it (DLV_LISTEN_DAP_SERVER=dlv runs it on stock dlv).
func TestDAPHelixCore(t *testing.T) {
	bin := dapServerBin(t)
	job, path, live := dumpFromTerminal(t)
	addr := freeLoopbackAddr(t)
	s := startDAPDevNull(t, "helix dap", bin, "-l", addr)
	c := newDAPClient(t, dialRetry(t, s, addr))
	c.initArgs = helixInitArgs()
	c.initialize()
	c.LaunchRequestWithArgs(map[string]any{"request": "launch", "mode": "core", "program": job.Bin, "coreFilePath": path})
	if pe := dapExpect[*dap.ProcessEvent](c, dapStartTimeout); pe.Body.SystemProcessId != job.Pid {
		t.Errorf("process event %+v, want pid %d", pe.Body, job.Pid)
	}
	dapExpect[*dap.InitializedEvent](c, dapStartTimeout)
	dapExpect[*dap.LaunchResponse](c, dapStartTimeout)
	c.ConfigurationDoneRequest()
	dapExpect[*dap.ConfigurationDoneResponse](c, dapTimeout)
	stop := expectStopped(t, c, "exception", dapTimeout)
	if stop.Body.Text != "can not continue execution of core process" {
		t.Errorf("stopped: %+v", stop.Body)
	}
	c.StackTraceRequest(1, 0, 50)
	st := dapExpect[*dap.StackTraceResponse](c, dapTimeout)
	var names []string
	for _, f := range st.Body.StackFrames {
		names = append(names, f.Name)
	}
	checkFrames(t, names, live["goroutine 1 stack"])
	c.EvaluateRequest("main.sink", st.Body.StackFrames[0].Id, "repl")
	if ev := dapExpect[*dap.EvaluateResponse](c, dapTimeout); !strings.Contains(live["print main.sink"], ev.Body.Result) || ev.Body.Result == "" {
		t.Errorf("evaluate main.sink = %q; live %q", ev.Body.Result, live["print main.sink"])
	}
	c.DisconnectRequest()
	dapExpect[*dap.DisconnectResponse](c, dapTimeout)
	if st := s.waitExit(t, dapTimeout); st != 0 {
		t.Errorf("server exit status %d after disconnect, want 0", st)
	}
}

// checkFrames checks the function names of a DAP stack trace of goroutine
// 1 on the core against the terminal's `goroutine 1 stack` of the live
// process at the dump: the same functions, top first.
func checkFrames(t *testing.T, names []string, live string) {
	t.Helper()
	if want := liveFrameNames(live); len(names) == 0 || strings.Join(names, " ") != strings.Join(want, " ") {
		t.Fatalf("DAP stack of goroutine 1 on the core: %v\nlive at the dump: %v", names, want)
	}
}

// liveFrameNames are the function names of a terminal stack listing as
// DAP names them: by the package path's last element (a path inside the
// type arguments stays). A generic function's name may hold spaces, its
// shape type's: "atomic.(*Pointer[go.shape.struct { ... }]).StoreNoWB".
func liveFrameNames(live string) []string {
	var names []string
	for _, m := range regexp.MustCompile(`(?m)^\s*\d+\s+0x[0-9a-f]+ in (.+)$`).FindAllStringSubmatch(live, -1) {
		name := m[1]
		path := name
		if i := strings.IndexByte(name, '['); i >= 0 {
			path = name[:i]
		}
		names = append(names, name[strings.LastIndexByte(path, '/')+1:])
	}
	return names
}

// A listing whose top frame is a generic function with a struct shape
// (seen once when the dump caught goroutine 1 in the allocator) keeps it.
func TestLiveFrameNames(t *testing.T) {
	live := ` 0  0x000000000048e208 in internal/runtime/atomic.(*Pointer[go.shape.struct { runtime.spanSetBlockHeader2; runtime.spans [512]runtime.atomicMSpanPointer }]).StoreNoWB
    at /usr/local/go/src/internal/runtime/atomic/types.go:539
 1  0x000000000044ab78 in runtime.(*spanSet).push
    at /usr/local/go/src/runtime/mspanset.go:138
12  0x00000000004ecf5a in main.writeCounter
    at ./internal/testprog/src/counter/main.go:40
`
	want := "atomic.(*Pointer[go.shape.struct { runtime.spanSetBlockHeader2; runtime.spans [512]runtime.atomicMSpanPointer }]).StoreNoWB|runtime.(*spanSet).push|main.writeCounter"
	if got := strings.Join(liveFrameNames(live), "|"); got != want {
		t.Fatalf("liveFrameNames: %q, want %q", got, want)
	}
}
