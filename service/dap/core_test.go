//go:build linux

package dap

// The launch mode "core" (program, coreFilePath), as an editor starts it:
// initialize, launch, configurationDone; the editor is told why the core
// cannot run, as dlv tells it, and reads goroutines, stacks and values.

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-delve/delve/service/api"
	"github.com/google/go-dap"

	"github.com/dlv-listen/dlv-listen/internal/testprog"
	"github.com/dlv-listen/dlv-listen/service/debugger"
)

// dumpCounter runs counter, dumps a core of it through a session, and
// returns its binary, the core, its pid, and main.sink and the functions
// of goroutine 1's stack at the dump.
func dumpCounter(t *testing.T) (bin, core string, pid int, sink string, stack []string) {
	t.Helper()
	job := testprog.Start(t, "counter")
	job.WaitAdvance(t, timeout)
	d, err := debugger.Attach(job.Pid, debugger.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close(false)
	c := d.Client()
	core = filepath.Join(t.TempDir(), "core")
	ds, err := c.CoreDumpStart(core)
	for err == nil && ds.Dumping {
		ds = c.CoreDumpWait(1000)
	}
	if err != nil || ds.Err != "" || !ds.AllDone {
		t.Fatalf("dump: %+v, %v", ds, err)
	}
	v, err := c.EvalVariable(api.EvalScope{GoroutineID: -1}, "main.sink", api.LoadConfig{})
	if err != nil {
		t.Fatal(err)
	}
	frames, err := c.Stacktrace(1, 50, 0, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range frames {
		if f.Function != nil {
			// As DAP names a frame: the package path's last element.
			name := f.Function.Name()
			stack = append(stack, name[strings.LastIndexByte(name, '/')+1:])
		}
	}
	return job.Bin, core, job.Pid, v.Value, stack
}

func TestLaunchModeCore(t *testing.T) {
	bin, core, pid, sink, stack := dumpCounter(t)
	tc := newTestClient(t)
	tc.initialize()
	tc.LaunchRequestWithArgs(map[string]any{"request": "launch", "mode": "core", "program": bin, "coreFilePath": core})
	pe := expect[*dap.ProcessEvent](tc, startTimeout)
	if pe.Body.SystemProcessId != pid || pe.Body.StartMethod != "launch" {
		t.Errorf("process event %+v, want pid %d started by launch", pe.Body, pid)
	}
	expect[*dap.InitializedEvent](tc, timeout)
	expect[*dap.LaunchResponse](tc, timeout)
	tc.ConfigurationDoneRequest()
	expect[*dap.ConfigurationDoneResponse](tc, timeout)
	// dlv continues at configurationDone; a core answers with a stop
	// saying it cannot run.
	stop := expectEvent[*dap.StoppedEvent](tc, timeout)
	if stop.Body.Reason != "exception" || stop.Body.Text != "can not continue execution of core process" {
		t.Errorf("stopped %+v, want the exception dlv reports", stop.Body)
	}

	tc.ThreadsRequest()
	th := expect[*dap.ThreadsResponse](tc, timeout)
	if len(th.Body.Threads) < 2 {
		t.Errorf("threads: %+v", th.Body.Threads)
	}
	tc.StackTraceRequest(1, 0, 50)
	st := expect[*dap.StackTraceResponse](tc, timeout)
	var names []string
	for _, f := range st.Body.StackFrames {
		names = append(names, f.Name)
	}
	if len(names) == 0 || strings.Join(names, " ") != strings.Join(stack, " ") {
		t.Errorf("stack of goroutine 1 on the core: %v; live at the dump: %v", names, stack)
	}
	if ev := tc.evaluate("main.sink", st.Body.StackFrames[0].Id); ev.Body.Result != sink {
		t.Errorf("main.sink = %q, want %q (at the dump)", ev.Body.Result, sink)
	}
	tc.ContinueRequest(1)
	expect[*dap.ContinueResponse](tc, timeout)
	if stop := expectEvent[*dap.StoppedEvent](tc, timeout); stop.Body.Text != "can not continue execution of core process" {
		t.Errorf("continue: %+v", stop.Body)
	}
	tc.DisconnectRequest()
	expect[*dap.DisconnectResponse](tc, timeout)
}

// TestLaunchModeCoreBadInput: what dlv answers, and each bad file named.
func TestLaunchModeCoreBadInput(t *testing.T) {
	bin, core, _, _, _ := dumpCounter(t)
	text := filepath.Join(t.TempDir(), "text")
	if err := os.WriteFile(text, []byte("hello\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc0 := range []struct {
		args map[string]any
		want string
	}{
		{map[string]any{"program": bin}, "The 'coreFilePath' attribute is missing in debug configuration."},
		{map[string]any{"coreFilePath": core}, "The program attribute is missing in debug configuration."},
		{map[string]any{"program": bin, "coreFilePath": text}, "core file " + text + " is not a core file: not an ELF file"},
		{map[string]any{"program": "/bin/sh", "coreFilePath": core}, "executable /bin/sh is not a Go program"},
	} {
		tc := newTestClient(t)
		tc.initialize()
		args := map[string]any{"request": "launch", "mode": "core"}
		for k, v := range tc0.args {
			args[k] = v
		}
		tc.LaunchRequestWithArgs(args)
		er := expect[*dap.ErrorResponse](tc, startTimeout)
		if !strings.Contains(er.Body.Error.Format, tc0.want) {
			t.Errorf("launch %v: %q, want %q", tc0.args, er.Body.Error.Format, tc0.want)
		}
		tc.DisconnectRequest()
		expect[*dap.DisconnectResponse](tc, timeout)
	}
}
