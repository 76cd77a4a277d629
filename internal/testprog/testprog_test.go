//go:build linux

package testprog

import (
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestMain(m *testing.M) {
	code := m.Run()
	RemoveBuilds()
	os.Exit(code)
}

func TestCounterStopContinue(t *testing.T) {
	t.Parallel()
	j := Start(t, "counter")
	j.WaitAdvance(t, 5*time.Second)

	if st, tracer, err := ProcStat(j.Pid); err != nil || st == 'T' || tracer != 0 {
		t.Fatalf("ProcStat(%d) = %q, %d, %v; want running, untraced", j.Pid, st, tracer, err)
	}

	j.Signal(t, syscall.SIGSTOP)
	j.WaitEvent(t, "stopped SIGSTOP", 5*time.Second)
	j.WaitState(t, 'T', 5*time.Second)
	j.AssertFrozen(t, 300*time.Millisecond)

	j.Signal(t, syscall.SIGCONT)
	j.WaitEvent(t, "continued", 5*time.Second)
	j.WaitAdvance(t, 5*time.Second)

	// A second stop needs a second event.
	j.Signal(t, syscall.SIGSTOP)
	j.WaitEvent(t, "stopped SIGSTOP", 5*time.Second)
	j.Signal(t, syscall.SIGCONT)
	j.WaitEvent(t, "continued", 5*time.Second)
	j.WaitAdvance(t, 5*time.Second)
}

func TestCounterIterationsExit(t *testing.T) {
	t.Parallel()
	j := Start(t, "counter", "-iterations", "50")
	if got := j.WaitExit(t, 10*time.Second); got != "exited 0" {
		t.Fatalf("exit event = %q, want %q", got, "exited 0")
	}
	if c := j.Counter(); c != 50 {
		t.Errorf("final counter = %d, want 50", c)
	}
}

func TestCounterKilled(t *testing.T) {
	t.Parallel()
	j := Start(t, "counter")
	j.Signal(t, syscall.SIGKILL)
	if got := j.WaitExit(t, 5*time.Second); got != "signaled SIGKILL" {
		t.Fatalf("exit event = %q, want %q", got, "signaled SIGKILL")
	}
}

func TestThreads(t *testing.T) {
	t.Parallel()
	j := Start(t, "threads", "-churn")
	deadline := time.Now().Add(10 * time.Second)
	for n := j.Threads(); n < 50; n = j.Threads() {
		if time.Now().After(deadline) {
			t.Fatalf("pid %d has %d threads, want >= 50", j.Pid, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	j.WaitAdvance(t, 5*time.Second)
}

func TestTstpHandled(t *testing.T) {
	t.Parallel()
	j := Start(t, "tstp")
	j.WaitAdvance(t, 5*time.Second)
	j.Signal(t, syscall.SIGTSTP)
	waitLog(t, j, "got SIGTSTP", 5*time.Second)
	j.WaitAdvance(t, 5*time.Second)
	j.WaitAdvance(t, 5*time.Second)
	for _, e := range j.Events() {
		if strings.HasPrefix(e, "stopped") {
			t.Fatalf("tstp stopped: events %q", j.Events())
		}
	}
	if s := j.State(); s == 'T' || s == 't' {
		t.Fatalf("tstp state = %q", s)
	}
}

func TestNotifyLogsSignals(t *testing.T) {
	t.Parallel()
	j := Start(t, "notify")
	j.WaitAdvance(t, 5*time.Second)
	j.Signal(t, syscall.SIGUSR1)
	waitLog(t, j, "got SIGUSR1", 5*time.Second)
	j.WaitAdvance(t, 5*time.Second)
	if l := j.Log(); len(l) != 1 {
		t.Fatalf("log = %q, want exactly one line", l)
	}
}

func waitLog(t *testing.T, j *Job, line string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !slices.Contains(j.Log(), line) {
		if time.Now().After(deadline) {
			t.Fatalf("pid %d: log %q lacks %q after %v", j.Pid, j.Log(), line, timeout)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A program whose threads are all created settles; one that keeps
// creating threads does not.
func TestWaitSettled(t *testing.T) {
	t.Parallel()
	j := Start(t, "counter", "-workers", "8")
	j.WaitSettled(t)
	if n := j.Threads(); n < 9 {
		t.Errorf("counter -workers 8 settled with %d threads, want at least 9 (8 locked workers and main)", n)
	}
	churn := Start(t, "threads", "-threads", "2", "-churn", "-fast")
	if WaitSettled(churn.Pid, SettleQuiet, time.Second) {
		t.Errorf("threads -churn -fast (a thread every 100µs) settled")
	}
}
