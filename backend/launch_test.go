package backend_test

import (
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-delve/delve/pkg/proc"
	"golang.org/x/sys/unix"

	"github.com/dlv-listen/dlv-listen/backend"
	"github.com/dlv-listen/dlv-listen/internal/testprog"
)

func launch(t *testing.T, cmd []string, wd string, stdout, stderr proc.OutputRedirect) *proc.TargetGroup {
	t.Helper()
	grp, err := backend.Launch(cmd, wd, 0, nil, "", "", stdout, stderr)
	if err != nil {
		t.Fatalf("launch %v: %v", cmd, err)
	}
	t.Cleanup(func() {
		if ok, _ := grp.Valid(); ok {
			_ = grp.Detach(true)
		}
	})
	return grp
}

func pendingSignals(t *testing.T, pid int) string {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "SigPnd:") || strings.HasPrefix(l, "ShdPnd:") {
			out = append(out, strings.Join(strings.Fields(l), " "))
		}
	}
	return strings.Join(out, ", ")
}

// Launch holds the program at its execve, before any of its own
// instructions, traced by SEIZE, with no signal of ours pending; working
// directory, redirects and process group are as asked; its exit status
// comes back; and a child the test started itself keeps its exit status.
func TestLaunchHeldAtExec(t *testing.T) {
	bin := testprog.Build(t, "counter")
	dir := t.TempDir()
	stdout := filepath.Join(dir, "stdout")
	grp := launch(t, []string{bin, "-out", "n", "-iterations", "5"}, dir,
		proc.OutputRedirect{Path: stdout}, proc.OutputRedirect{Path: filepath.Join(dir, "stderr")})
	tgt := grp.Selected
	pid := tgt.Pid()

	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	entry := f.Entry
	f.Close()
	regs, err := tgt.CurrentThread().Registers()
	if err != nil {
		t.Fatal(err)
	}
	if regs.PC() != entry {
		t.Fatalf("held at %#x, want the entry point %#x", regs.PC(), entry)
	}
	if _, err := os.Stat(filepath.Join(dir, "n")); !os.IsNotExist(err) {
		t.Fatalf("the program already ran: %v", err)
	}
	if st, tracer, _ := testprog.ProcStat(pid); st != 't' || tracer == 0 {
		t.Fatalf("state %c tracer %d, want traced and stopped", st, tracer)
	}
	if pgid, _ := unix.Getpgid(pid); pgid != pid {
		t.Fatalf("process group %d, want its own (%d)", pgid, pid)
	}
	if cwd, _ := os.Readlink(fmt.Sprintf("/proc/%d/cwd", pid)); cwd != dir {
		t.Fatalf("working directory %q, want %q", cwd, dir)
	}
	if got := pendingSignals(t, pid); got != "SigPnd: 0000000000000000, ShdPnd: 0000000000000000" {
		t.Fatalf("signals pending at launch: %s", got)
	}
	if fd1, _ := os.Readlink(fmt.Sprintf("/proc/%d/fd/1", pid)); fd1 != stdout {
		t.Fatalf("stdout is %q, want %q", fd1, stdout)
	}

	other := exec.Command("/bin/sh", "-c", "exit 7")
	if err := other.Start(); err != nil {
		t.Fatal(err)
	}
	err = grp.Continue()
	var exited proc.ErrProcessExited
	if !errors.As(err, &exited) || exited.Status != 0 {
		t.Fatalf("continue: %v, want the process to exit with 0", err)
	}
	if n, _ := os.ReadFile(filepath.Join(dir, "n")); string(n) != "5" {
		t.Fatalf("counter %q, want 5", n)
	}
	// The backend reaps only its own tracees: our other child's status is ours.
	err = other.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 7 {
		t.Fatalf("other child: %v, want exit status 7", err)
	}
}

// A launched program that logs every signal sees none from the debugger:
// not at launch, not at breakpoints, not at halts.
func TestLaunchNoSignalSeen(t *testing.T) {
	bin := testprog.Build(t, "notify")
	dir := t.TempDir()
	logPath := filepath.Join(dir, "log")
	grp := launch(t, []string{bin, "-out", filepath.Join(dir, "n"), "-log", logPath}, "", proc0, proc0)
	tgt := grp.Selected
	bp := breakAt(t, tgt, "main.tick")
	for i := 0; i < 5; i++ {
		if err := grp.Continue(); err != nil {
			t.Fatal(err)
		}
	}
	if err := tgt.ClearBreakpoint(bp.Addr); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 10; i++ {
		if err := haltAndWait(t, grp, continueAsync(grp)); err != nil {
			t.Fatal(err)
		}
	}
	log, _ := os.ReadFile(logPath)
	if len(log) != 0 {
		t.Fatalf("the program received signals: %q", log)
	}
	pid := tgt.Pid()
	if err := grp.Detach(true); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(testprog.Timeout(5 * time.Second))
	for {
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); os.IsNotExist(err) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("process %d still exists after kill", pid)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// InterceptSignals turns a signal the program is about to receive into a
// halt and does not deliver it: Ctrl-C typed into a terminal the program
// owns halts it, as in gdb. counter has no SIGINT handler, so a delivered
// SIGINT would kill it.
func TestInterceptSignal(t *testing.T) {
	bin := testprog.Build(t, "counter")
	dir := t.TempDir()
	counter := filepath.Join(dir, "n")
	grp := launch(t, []string{bin, "-out", counter}, "", proc0, proc0)
	p, _ := backend.Of(grp)
	p.InterceptSignals(unix.SIGINT)
	pid := grp.Selected.Pid() // before Continue, which may replace Selected
	done := continueAsync(grp)
	deadline := time.Now().Add(testprog.Timeout(10 * time.Second))
	for {
		if b, _ := os.ReadFile(counter); len(b) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the program never ran")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := unix.Kill(pid, unix.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("continue: %v", err)
		}
	case <-time.After(testprog.Timeout(10 * time.Second)):
		t.Fatal("SIGINT did not halt the program")
	}
	if grp.Selected.StopReason != proc.StopManual {
		t.Fatalf("stop reason %v, want a manual stop", grp.Selected.StopReason)
	}
	// Not delivered: the program runs on.
	before, _ := os.ReadFile(counter)
	done = continueAsync(grp)
	for {
		if now, _ := os.ReadFile(counter); len(now) > 0 && string(now) != string(before) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the program did not run on after the halt")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := haltAndWait(t, grp, done); err != nil {
		t.Fatalf("the program ended: %v", err)
	}
}

// A halt requested while nothing runs leaves no trace for the next
// single-instruction step.
func TestStepAfterIdleHalt(t *testing.T) {
	bin := testprog.Build(t, "counter")
	grp := launch(t, []string{bin, "-out", filepath.Join(t.TempDir(), "n")}, "", proc0, proc0)
	breakAt(t, grp.Selected, "main.tick")
	if err := grp.Continue(); err != nil {
		t.Fatal(err)
	}
	if err := grp.RequestManualStop(); err != nil {
		t.Fatal(err)
	}
	if err := grp.StepInstruction(false); err != nil {
		t.Fatalf("step after an idle halt: %v", err)
	}
}
