package backend

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/dlv-listen/dlv-listen/internal/testprog"
)

// TestReconcileRepairsLostReports makes the two faults stopping the world
// must survive, against a real process: a thread whose stop report was
// taken behind the backend's back (it sits in a ptrace-stop, nothing is
// left to reap), and a thread in the table that the kernel never had (the
// phantom a late PTRACE_EVENT_CLONE report used to leave). stopAll must
// come back, take the first as stopped with its real stop, drop the
// second, say so in Repairs, and the session must go on working.
func TestReconcileRepairsLostReports(t *testing.T) {
	job := testprog.Start(t, "threads", "-threads", "3")
	grp, p := attachInternal(t, job.Pid)
	phantom := noSuchTid(t)

	var (
		victim  *Thread
		lost    unix.WaitStatus
		stopErr error
		took    time.Duration
	)
	p.tr.do(func() {
		for _, th := range p.threadSlice() {
			if th.ID != p.pid {
				victim = th
				break
			}
		}
		if stopErr = p.resume(victim); stopErr != nil {
			return
		}
		if stopErr = ptraceInterrupt(victim.ID); stopErr != nil {
			return
		}
		// Lose its report (our interrupt's stop, or whatever came
		// first): reaped here, never shown to the backend.
		if _, lost, stopErr = wait4(victim.ID, false); stopErr != nil {
			return
		}
		ph := p.newThread(phantom, true)
		ph.state, ph.announced = running, true

		start := time.Now()
		stopErr = p.stopAll()
		took = time.Since(start)
	})
	if stopErr != nil {
		t.Fatalf("stopAll: %v", stopErr)
	}
	t.Logf("stopAll came back in %v; repairs: %q", took.Round(time.Millisecond), p.Repairs())
	if took > stopDeadline {
		t.Errorf("stopAll took %v, more than its bound %v", took, stopDeadline)
	}
	if victim.state != held {
		t.Errorf("thread %d whose report was lost is not held (state %d)", victim.ID, victim.state)
	}
	if p.thread(phantom) != nil {
		t.Errorf("phantom thread %d is still in the table", phantom)
	}
	want := []string{
		"thread " + strconv.Itoa(victim.ID) + " of process " + strconv.Itoa(p.pid) + " is in a ptrace-stop (" + describeStatus(lost) + ") whose report was not taken: taken as stopped",
		"thread " + strconv.Itoa(phantom) + " of process " + strconv.Itoa(p.pid) + " no longer exists and reported no exit: dropped",
	}
	got := strings.Join(p.Repairs(), "\n")
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("repairs lack %q; got:\n%s", w, got)
		}
	}

	// The session goes on: the program runs, and a halt stops it.
	done := make(chan error, 1)
	go func() { done <- grp.Continue() }()
	job.WaitAdvance(t, 5*time.Second)
	if err := grp.RequestManualStop(); err != nil {
		t.Fatalf("RequestManualStop: %v", err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Continue: %v", err)
		}
	case <-time.After(testprog.Timeout(10 * time.Second)):
		t.Fatalf("Continue did not return after a halt")
	}
}

// noSuchTid returns a thread id no task can have: above pid_max.
func noSuchTid(t *testing.T) int {
	b, err := os.ReadFile("/proc/sys/kernel/pid_max")
	if err != nil {
		t.Fatalf("read pid_max: %v", err)
	}
	max, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatalf("pid_max %q: %v", b, err)
	}
	return max + 1
}
