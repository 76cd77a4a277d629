package debugger_test

// Core dumps through the session: progress through DumpWait, a file that
// Delve's core reader opens with the session's goroutines and values, the
// job state kept, and bad destinations refused before the process is
// touched.

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/go-delve/delve/pkg/proc"
	"github.com/go-delve/delve/pkg/proc/core"
	"github.com/go-delve/delve/service/api"

	"github.com/dlv-listen/dlv-listen/internal/testprog"
	"github.com/dlv-listen/dlv-listen/service/jobapi"
)

// dump writes a core of the session's process to a temporary file and
// returns its path and last progress report.
func (s *session) dump() (string, api.DumpState) {
	s.t.Helper()
	path := filepath.Join(s.t.TempDir(), "core")
	ds, err := s.c.CoreDumpStart(path)
	if err != nil {
		s.t.Fatalf("CoreDumpStart: %v", err)
	}
	for ds.Dumping {
		ds = s.c.CoreDumpWait(1000)
	}
	if ds.Err != "" || !ds.AllDone || ds.MemDone != ds.MemTotal || ds.ThreadsDone != ds.ThreadsTotal || ds.MemTotal == 0 {
		s.t.Fatalf("dump ended with %+v", ds)
	}
	return path, ds
}

// checkCore opens path with Delve's core reader and compares it with the
// live session: the goroutine ids and main.sink.
func (s *session) checkCore(path string) {
	s.t.Helper()
	grp, err := core.OpenCore(path, s.job.Bin, nil)
	if err != nil {
		s.t.Fatalf("open core: %v", err)
	}
	defer grp.Detach(false)
	gs, _, err := proc.GoroutinesInfo(grp.Selected, 0, 0)
	if err != nil {
		s.t.Fatalf("goroutines of the core: %v", err)
	}
	live, _, err := s.c.ListGoroutines(0, 0)
	if err != nil {
		s.t.Fatalf("ListGoroutines: %v", err)
	}
	ids := func(n int, id func(int) int64) string {
		var b strings.Builder
		for i := 0; i < n; i++ {
			fmt.Fprintf(&b, "%d ", id(i))
		}
		return b.String()
	}
	if a, b := ids(len(live), func(i int) int64 { return live[i].ID }), ids(len(gs), func(i int) int64 { return gs[i].ID }); a != b {
		s.t.Errorf("goroutines: live %s, core %s", a, b)
	}
	scope, err := proc.ConvertEvalScope(grp.Selected, -1, 0, 0)
	if err != nil {
		s.t.Fatal(err)
	}
	v, err := scope.EvalExpression("main.sink", proc.LoadConfig{})
	if err != nil {
		s.t.Fatalf("main.sink in the core: %v", err)
	}
	lv, err := s.c.EvalVariable(currentScope, "main.sink", loadCfg)
	if err != nil {
		s.t.Fatalf("main.sink live: %v", err)
	}
	if v.Value.String() != lv.Value {
		s.t.Errorf("main.sink: live %s, core %s", lv.Value, v.Value.String())
	}
}

func TestDumpSession(t *testing.T) {
	job := testprog.Start(t, "counter")
	job.WaitAdvance(t, timeout)
	s := attach(t, job)
	path, ds := s.dump()
	t.Logf("dumped %d threads, %d bytes", ds.ThreadsTotal, ds.MemTotal)
	s.checkCore(path)
	// A second dump while none runs is fine; the session goes on.
	s.dump()
	ch := s.cont()
	job.WaitAdvance(t, timeout)
	if _, err := s.c.Halt(); err != nil {
		t.Fatal(err)
	}
	s.recv(ch)
}

func TestDumpJobStopped(t *testing.T) {
	job := testprog.Start(t, "counter")
	job.WaitAdvance(t, timeout)
	job.Signal(t, syscall.SIGSTOP)
	job.WaitEvent(t, "stopped SIGSTOP", timeout)
	job.WaitState(t, 'T', timeout)
	s := attach(t, job)
	path, _ := s.dump()
	if js := s.d.JobStatus(); js.State != jobapi.StateStopped || js.Signal != "SIGSTOP" {
		t.Errorf("after the dump: %+v, want stopped by SIGSTOP", js)
	}
	job.AssertFrozen(t, frozen)
	s.checkCore(path)
	if err := s.c.Detach(false); err != nil {
		t.Fatal(err)
	}
	job.WaitState(t, 'T', timeout)
	job.AssertFrozen(t, frozen)
	for _, ev := range job.Events() {
		if strings.HasPrefix(ev, "continued") {
			t.Fatalf("the parent saw %q: the dump or detach continued the process", ev)
		}
	}
}

// TestDumpBadDestination: a directory that does not exist or cannot be
// written is refused with one line naming the file and why, and the
// process is as it was: held, debuggable, no file left.
func TestDumpBadDestination(t *testing.T) {
	job := testprog.Start(t, "counter")
	s := attach(t, job)
	before, err := s.c.GetState()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ path, reason string }{
		{filepath.Join(t.TempDir(), "missing", "core"), "no such file or directory"},
		// Not writable even for root: sysfs takes no new files.
		{"/sys/core", "permission denied"},
		{t.TempDir(), "is a directory"},
	} {
		_, err := s.c.CoreDumpStart(tc.path)
		want := fmt.Sprintf("cannot dump to %s: %s", tc.path, tc.reason)
		if err == nil || err.Error() != want {
			t.Errorf("CoreDumpStart(%s) = %v, want %q", tc.path, err, want)
		}
		if _, statErr := os.Stat(tc.path); tc.reason != "is a directory" && !errors.Is(statErr, os.ErrNotExist) {
			t.Errorf("%s exists after the refused dump", tc.path)
		}
		if ds := s.c.CoreDumpWait(0); ds.Dumping {
			t.Errorf("a refused dump is in progress: %+v", ds)
		}
	}
	after, err := s.c.GetState()
	if err != nil || after.CurrentThread == nil || after.CurrentThread.ID != before.CurrentThread.ID {
		t.Fatalf("state after refused dumps: %+v, %v", after, err)
	}
	if _, _, err := s.c.ListGoroutines(0, 0); err != nil {
		t.Fatal(err)
	}
	// Running on and stopping again work as before.
	ch := s.cont()
	job.WaitAdvance(t, timeout)
	if _, err := s.c.Halt(); err != nil {
		t.Fatal(err)
	}
	s.recv(ch)
}

// TestDumpCancel: a dump canceled while it writes ends without AllDone and
// without an error, as dlv's (the terminal prints "canceled"); the process
// is still held and debuggable.
func TestDumpCancel(t *testing.T) {
	job := testprog.Start(t, "counter", "-ballast", "256")
	s := attach(t, job)
	path := filepath.Join(t.TempDir(), "core")
	ds, err := s.c.CoreDumpStart(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.c.CoreDumpCancel(); err != nil {
		t.Fatal(err)
	}
	for ds.Dumping {
		ds = s.c.CoreDumpWait(1000)
	}
	if ds.AllDone || ds.Err != "" {
		t.Fatalf("canceled dump ended with %+v, want neither done nor failed", ds)
	}
	if ds.MemTotal != 0 && ds.MemDone >= ds.MemTotal {
		t.Fatalf("canceled dump wrote all its memory: %+v", ds)
	}
	if _, err := s.c.GetState(); err != nil {
		t.Fatalf("state after a canceled dump: %v", err)
	}
	// A dump after the canceled one runs to its end.
	s.dump()
}
