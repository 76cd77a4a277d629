package debugger_test

// Sessions on core files: a core written by the session's own dump and one
// written by the kernel, read through debugger.Core; what needs a live
// process answers as Delve's core target does; bad input is refused with
// one line naming the file.

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-delve/delve/pkg/proc/core"
	"github.com/go-delve/delve/service/api"

	"github.com/dlv-listen/dlv-listen/internal/testprog"
	"github.com/dlv-listen/dlv-listen/service/debugger"
	"github.com/dlv-listen/dlv-listen/service/jobapi"
)

// openCoreSession starts a session on corePath and closes it at cleanup.
func openCoreSession(t *testing.T, exe, corePath string) *debugger.Debugger {
	t.Helper()
	d, err := debugger.Core(exe, corePath, debugger.Config{CheckGoVersion: true})
	if err != nil {
		t.Fatalf("Core(%s, %s): %v", exe, corePath, err)
	}
	t.Cleanup(func() {
		if err := d.Close(false); err != nil {
			t.Errorf("close core session: %v", err)
		}
	})
	return d
}

// snapshot is what the core must show of the process.
type snapshot struct {
	goroutines string // ids
	sink       string
	mainStack  string // function names of goroutine 1
}

func snapshotOf(t *testing.T, c *debugger.Client) snapshot {
	t.Helper()
	gs, _, err := c.ListGoroutines(0, 0)
	if err != nil {
		t.Fatalf("ListGoroutines: %v", err)
	}
	var s snapshot
	for _, g := range gs {
		s.goroutines += fmt.Sprintf("%d ", g.ID)
	}
	v, err := c.EvalVariable(api.EvalScope{GoroutineID: -1}, "main.sink", loadCfg)
	if err != nil {
		t.Fatalf("eval main.sink: %v", err)
	}
	s.sink = v.Value
	frames, err := c.Stacktrace(1, 50, 0, 0, nil)
	if err != nil {
		t.Fatalf("stack of goroutine 1: %v", err)
	}
	for _, f := range frames {
		if f.Function != nil {
			s.mainStack += f.Function.Name() + " "
		}
	}
	return s
}

func TestCoreOfDump(t *testing.T) {
	job := testprog.Start(t, "counter")
	job.WaitAdvance(t, timeout)
	s := attach(t, job)
	path, _ := s.dump()
	live := snapshotOf(t, s.d.Client())
	// (Goroutine 1 is in main.main, or, caught in a signal handler, in
	// frames Delve cannot unwind past on arm64: either way the core must
	// show the same.)
	if live.mainStack == "" || live.goroutines == "" {
		t.Fatalf("the live session shows no stack or goroutines: %+v", live)
	}

	d := openCoreSession(t, job.Bin, path)
	c := d.Client()
	if got := snapshotOf(t, c); got != live {
		t.Errorf("core session:\n%+v\nlive session:\n%+v", got, live)
	}
	st, err := c.GetState()
	if err != nil || st.Pid != job.Pid || st.CurrentThread == nil {
		t.Fatalf("GetState on the core: %+v, %v; want pid %d and a current thread", st, err, job.Pid)
	}

	// What needs a live process answers as Delve's core target.
	if st := <-c.Continue(); st == nil || !errors.Is(st.Err, core.ErrContinueCore) {
		t.Errorf("Continue on a core: %+v, want %v", st, core.ErrContinueCore)
	}
	for name, fn := range map[string]func() (*api.DebuggerState, error){
		"Next": c.Next, "Step": c.Step, "StepOut": c.StepOut, "ReverseNext": c.ReverseNext,
		"Call": func() (*api.DebuggerState, error) { return c.Call(-1, "main.helper(1)", false) },
	} {
		if _, err := fn(); !errors.Is(err, core.ErrContinueCore) {
			t.Errorf("%s on a core: %v, want %v", name, err, core.ErrContinueCore)
		}
	}
	if _, err := c.Restart(false); !errors.Is(err, core.ErrContinueCore) {
		t.Errorf("Restart on a core: %v", err)
	}
	if _, err := c.CreateBreakpoint(&api.Breakpoint{FunctionName: "main.tick"}); err == nil {
		t.Errorf("CreateBreakpoint on a core: no error")
	}
	if err := c.SetVariable(api.EvalScope{GoroutineID: -1}, "main.sink", "1"); err == nil {
		t.Errorf("SetVariable on a core: no error")
	}
	if _, err := c.CoreDumpStart(filepath.Join(t.TempDir(), "core")); err == nil || err.Error() != "core dumping not supported" {
		t.Errorf("CoreDumpStart on a core: %v", err)
	}
	// No job control: the answers say there is no process.
	want := "no live process: the session is on core file " + path
	if js := d.JobStatus(); js.State != jobapi.StateNoProcess || js.Text != want {
		t.Errorf("JobStatus on a core: %+v", js)
	}
	if got := d.JobState(); got != want {
		t.Errorf("JobState on a core: %q", got)
	}
	if _, err := d.Signal("SIGCONT"); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Signal on a core: %v", err)
	}
	if v := c.GetVersion(); v.Backend != "core" || !c.Recorded() {
		t.Errorf("GetVersion backend %q, Recorded %v; want core, true (as dlv)", v.Backend, c.Recorded())
	}
}

func TestCoreOfKernel(t *testing.T) {
	exe, path := testprog.KernelCore(t, "counter")
	d := openCoreSession(t, exe, path)
	s := snapshotOf(t, d.Client())
	if !strings.Contains(s.mainStack, "main.main") || s.sink == "" || !strings.HasPrefix(s.goroutines, "1 ") {
		t.Fatalf("kernel core: %+v", s)
	}
	threads, err := d.Client().ListThreads()
	if err != nil || len(threads) < 2 {
		t.Fatalf("threads of the kernel core: %d, %v", len(threads), err)
	}
}

// TestCoreBadInput: each bad input is one line naming the file and the
// reason, from debugger.Core (the CLI prints it and exits 1).
func TestCoreBadInput(t *testing.T) {
	job := testprog.Start(t, "counter")
	s := attach(t, job)
	dumped, _ := s.dump()
	other := testprog.Build(t, "threads")
	dir := t.TempDir()
	notCore := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notCore, []byte("not a core\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, exe, core, want string }{
		{"missing core", job.Bin, filepath.Join(dir, "nope"), "core file " + filepath.Join(dir, "nope") + ": no such file or directory"},
		{"missing executable", filepath.Join(dir, "nobin"), dumped, "executable " + filepath.Join(dir, "nobin") + ": no such file or directory"},
		{"not a core (text)", job.Bin, notCore, "core file " + notCore + " is not a core file: not an ELF file"},
		{"not a core (program)", job.Bin, job.Bin, "core file " + job.Bin + " is not a core file: an ELF file of type ET_EXEC"},
		{"not Go", "/bin/sh", dumped, "executable /bin/sh is not a Go program: it has no Go build information"},
		{"core is a directory", job.Bin, dir, "core file " + dir + ": not a regular file"},
		{"core of another program", other, dumped, "core file " + dumped + " was not dumped from " + other + ": "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := debugger.Core(tc.exe, tc.core, debugger.Config{})
			if err == nil {
				d.Close(false)
				t.Fatalf("no error")
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, tc.want) || strings.Contains(msg, "\n") {
				t.Fatalf("error %q, want one line starting %q", msg, tc.want)
			}
		})
	}
}
