package backend_test

// Core dumps of live processes: proc.(*Target).Dump on the backend's
// MemoryMap and DumpProcessNotes writes a file that Delve's own core
// reader opens with the same goroutines and values, and the dump changes
// nothing in the process's job-control state.

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"syscall"
	"testing"
	"time"

	"github.com/go-delve/delve/pkg/proc"
	"github.com/go-delve/delve/pkg/proc/core"
	"golang.org/x/sys/unix"

	"github.com/dlv-listen/dlv-listen/internal/testprog"
	"github.com/dlv-listen/dlv-listen/listenmode"
)

// dumpTo writes a core of tgt to path and fails the test on any error.
func dumpTo(t *testing.T, tgt *proc.Target, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	var state proc.DumpState
	tgt.Dump(f, 0, &state) // closes f
	if state.Err != nil || !state.AllDone {
		t.Fatalf("dump: done %v, err %v", state.AllDone, state.Err)
	}
	if state.ThreadsDone != state.ThreadsTotal || state.ThreadsTotal == 0 {
		t.Fatalf("dump: %d of %d threads", state.ThreadsDone, state.ThreadsTotal)
	}
	if state.MemDone == 0 || state.MemDone != state.MemTotal {
		t.Fatalf("dump: %d of %d bytes of memory", state.MemDone, state.MemTotal)
	}
}

// view is what the dump must keep: goroutine ids, each goroutine's
// current function, and a global.
type view struct {
	goroutines map[int64]string
	sink       string
}

func viewOf(t *testing.T, tgt *proc.Target) view {
	t.Helper()
	gs, _, err := proc.GoroutinesInfo(tgt, 0, 0)
	if err != nil {
		t.Fatalf("goroutines: %v", err)
	}
	v := view{goroutines: map[int64]string{}}
	for _, g := range gs {
		loc := g.UserCurrent()
		name := "?"
		if loc.Fn != nil {
			name = loc.Fn.Name
		}
		v.goroutines[g.ID] = name
	}
	scope, err := proc.ConvertEvalScope(tgt, -1, 0, 0)
	if err != nil {
		t.Fatalf("scope: %v", err)
	}
	sink, err := scope.EvalExpression("main.sink", proc.LoadConfig{})
	if err != nil {
		t.Fatalf("eval main.sink: %v", err)
	}
	v.sink = sink.Value.String()
	return v
}

func sameView(t *testing.T, live, dumped view) {
	t.Helper()
	if live.sink != dumped.sink {
		t.Errorf("main.sink: live %s, core %s", live.sink, dumped.sink)
	}
	if len(live.goroutines) != len(dumped.goroutines) {
		t.Errorf("goroutines: live %d, core %d", len(live.goroutines), len(dumped.goroutines))
	}
	ids := make([]int64, 0, len(live.goroutines))
	for id := range live.goroutines {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		if live.goroutines[id] != dumped.goroutines[id] {
			t.Errorf("goroutine %d: live at %s, core at %q", id, live.goroutines[id], dumped.goroutines[id])
		}
	}
}

// openCore opens path with Delve's core reader and closes it at cleanup.
func openCore(t *testing.T, path, exe string) *proc.Target {
	t.Helper()
	grp, err := core.OpenCore(path, exe, nil)
	if err != nil {
		t.Fatalf("open core %s: %v", path, err)
	}
	t.Cleanup(func() { _ = grp.Detach(false) })
	return grp.Selected
}

// checkCoreNotes checks the dump is a Linux core in the kernel's format,
// as gdb reads it: ET_CORE with a PT_NOTE and PT_LOAD segments, one
// NT_PRSTATUS per thread (amd64; Delve's own format elsewhere).
func checkCoreNotes(t *testing.T, path string, threads int) {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	defer f.Close()
	if f.Type != elf.ET_CORE {
		t.Fatalf("%s: type %v, want ET_CORE", path, f.Type)
	}
	loads, notes := 0, 0
	for _, p := range f.Progs {
		switch p.Type {
		case elf.PT_LOAD:
			loads++
		case elf.PT_NOTE:
			notes++
		}
	}
	if loads == 0 || notes != 1 {
		t.Fatalf("%s: %d PT_LOAD, %d PT_NOTE", path, loads, notes)
	}
	if f.Machine != elf.EM_X86_64 {
		return
	}
	prstatus := countNotes(t, f, elf.NT_PRSTATUS)
	if prstatus != threads {
		t.Fatalf("%s: %d NT_PRSTATUS notes, want one per thread (%d)", path, prstatus, threads)
	}
}

func countNotes(t *testing.T, f *elf.File, typ elf.NType) int {
	t.Helper()
	n := 0
	for _, p := range f.Progs {
		if p.Type != elf.PT_NOTE {
			continue
		}
		buf := make([]byte, p.Filesz)
		if _, err := p.ReadAt(buf, 0); err != nil {
			t.Fatal(err)
		}
		for len(buf) >= 12 {
			le := f.ByteOrder
			namesz, descsz, ty := le.Uint32(buf), le.Uint32(buf[4:]), le.Uint32(buf[8:])
			if elf.NType(ty) == typ {
				n++
			}
			next := 12 + int((namesz+3)&^3) + int((descsz+3)&^3)
			if next > len(buf) {
				break
			}
			buf = buf[next:]
		}
	}
	return n
}

// TestDumpLive dumps a running, multi-threaded program and opens the core
// with Delve's reader: the same goroutines, at the same functions, and the
// same value of a global. The process is still debugged afterwards.
func TestDumpLive(t *testing.T) {
	job := testprog.Start(t, "counter", "-workers", "3")
	job.WaitAdvance(t, jcTimeout) // the workers have set main.sink
	s := jcAttach(t, job)
	live := viewOf(t, s.tgt)
	path := filepath.Join(t.TempDir(), "core")
	dumpTo(t, s.tgt, path)
	checkCoreNotes(t, path, len(s.tgt.ThreadList()))

	dumped := viewOf(t, openCore(t, path, job.Bin))
	sameView(t, live, dumped)
	checkGDB(t, job.Bin, path, len(s.tgt.ThreadList()))
	if ok, err := s.tgt.Valid(); !ok {
		t.Fatalf("after the dump the process is no longer debugged: %v", err)
	}
	s.assertJobState(listenmode.StateRunning, 0)
	// It runs on after the dump.
	c := s.continueAsync()
	job.WaitAdvance(t, jcTimeout)
	c.halt()
}

// TestDumpJobStopped dumps a program stopped by SIGSTOP: it stays
// stopped through attach, dump and detach (no SIGCONT reaches it), and the
// core opens.
func TestDumpJobStopped(t *testing.T) {
	job := testprog.Start(t, "counter", "-workers", "2")
	job.WaitAdvance(t, jcTimeout)
	jcStopBeforeAttach(t, job, syscall.SIGSTOP, "SIGSTOP")
	s := jcAttach(t, job)
	live := viewOf(t, s.tgt)
	path := filepath.Join(t.TempDir(), "core")
	dumpTo(t, s.tgt, path)
	s.assertJobState(listenmode.StateStopped, unix.SIGSTOP)
	s.assertTracedStopped()
	jcNoParentEvent(t, job, "continued")

	if err := s.grp.Detach(false); err != nil {
		t.Fatalf("detach: %v", err)
	}
	job.WaitState(t, 'T', jcTimeout)
	job.AssertFrozen(t, 300*time.Millisecond)
	jcNoParentEvent(t, job, "continued")
	sameView(t, live, viewOf(t, openCore(t, path, job.Bin)))
}

// checkGDB has gdb, when there is one, list the threads of the core: one
// per thread of the process (amd64, where the notes are the kernel's).
func checkGDB(t *testing.T, exe, core string, threads int) {
	t.Helper()
	gdb, err := exec.LookPath("gdb")
	if err != nil || runtime.GOARCH != "amd64" {
		t.Logf("no check with gdb (%v, %s)", err, runtime.GOARCH)
		return
	}
	out, err := exec.Command(gdb, "-nx", "-batch", "-iex", "set auto-load off", "-ex", "info threads", exe, core).CombinedOutput()
	if err != nil {
		t.Fatalf("gdb on the core: %v\n%s", err, out)
	}
	if n := len(regexp.MustCompile(`(?m)^[* ] +\d+ +LWP \d+`).FindAll(out, -1)); n != threads {
		t.Fatalf("gdb lists %d threads in the core, want %d:\n%s", n, threads, out)
	}
}
