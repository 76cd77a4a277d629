package debugger_test

import (
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/dlv-listen/dlv-listen/internal/testprog"
	"github.com/dlv-listen/dlv-listen/service/jobapi"
)

// jobLogKept is the number of job-control changes a session keeps for
// readers (jobLogSize).
const jobLogKept = 1024

// stopContinue stops and continues the running process pid n times, each
// change announced before the next signal is sent (a SIGCONT discards a
// stop signal still pending): 2n job-control changes.
func stopContinue(t *testing.T, s *session, pid, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
			t.Fatal(err)
		}
		s.notes.wait(t, fmt.Sprintf("process %d stopped by SIGSTOP (job control); it stays stopped until SIGCONT", pid))
		if err := syscall.Kill(pid, syscall.SIGCONT); err != nil {
			t.Fatal(err)
		}
		s.notes.wait(t, fmt.Sprintf("process %d continued (SIGCONT)", pid))
	}
}

// TestJobEventsReaderFellBehind: a subscriber that reads nothing while the
// session goes through more job-control changes than it keeps learns, in
// their place, how many it lost, then gets the rest in order; a log
// reader asking from the start (JSON-RPC's JobEvents) gets the same
// marker first, naming the changes dropped.
func TestJobEventsReaderFellBehind(t *testing.T) {
	job := testprog.Start(t, "counter", "-workers", "0")
	s := attach(t, job)
	events, cancel := s.d.SubscribeJobEvents()
	defer cancel()
	s.cont()
	job.WaitAdvance(t, timeout)
	const cycles = jobLogKept/2 + 30
	const total = 2 * cycles
	stopContinue(t, s, job.Pid, cycles)

	// From the start: the dropped ones, then every one kept, in order.
	evs, _ := s.d.JobEventsAfter(0)
	if len(evs) != jobLogKept+1 {
		t.Fatalf("JobEventsAfter(0): %d events, want the marker and the %d kept", len(evs), jobLogKept)
	}
	lost := evs[0]
	if want := uint64(total - jobLogKept); lost.Kind != jobapi.EventLost || lost.Lost != want || lost.Seq != want ||
		lost.Text != fmt.Sprintf("%d job-control changes lost (1 to %d): this reader fell behind the last %d the session keeps", want, want, jobLogKept) {
		t.Errorf("first event %+v, want the loss of changes 1 to %d", lost, want)
	}
	for i, ev := range evs[1:] {
		if want := lost.Seq + 1 + uint64(i); ev.Seq != want || ev.Pid != job.Pid {
			t.Fatalf("event %d: %+v, want seq %d of process %d", i+1, ev, want, job.Pid)
		}
	}

	// The subscriber: what it had taken before it fell behind, one Lost,
	// then the rest; every change is counted once.
	var got, lostN uint64
	sawLost := false
	last := false
	for !last {
		ev := <-events
		if ev.Lost > 0 {
			if sawLost {
				t.Fatalf("a second loss: %+v", ev)
			}
			sawLost, lostN = true, ev.Lost
			continue
		}
		got++
		if want := got%2 == 1; ev.Pid != job.Pid || ev.Stopped != want && !sawLost {
			t.Fatalf("change %d: %+v", got, ev)
		}
		last = got+lostN == total
	}
	if !sawLost {
		t.Errorf("the subscriber was not told of changes it missed (got %d of %d)", got, total)
	}
	t.Logf("subscriber: %d changes got, %d lost", got, lostN)
}

// TestJobNoticeBeforeItsStop: a continue that waits for SIGCONT and then
// meets a breakpoint returns its stop only once the SIGCONT was told, even
// to a receiver of notices that is slow (here: held until the test lets
// it go), so that a front end tells the change before the stop it led to.
func TestJobNoticeBeforeItsStop(t *testing.T) {
	job := testprog.Start(t, "counter", "-period", "0")
	s := attach(t, job)
	pid := job.Pid
	ch := s.cont()
	job.WaitAdvance(t, timeout)
	job.Signal(t, syscall.SIGSTOP)
	s.notes.wait(t, fmt.Sprintf("process %d stopped by SIGSTOP (job control); it stays stopped until SIGCONT", pid))
	if _, err := s.c.Halt(); err != nil {
		t.Fatalf("Halt: %v", err)
	}
	if st := s.recv(ch); st.Err != nil {
		t.Fatalf("halted continue: %v", st.Err)
	}
	bp := s.tickBreakpoint()

	continued := fmt.Sprintf("process %d continued (SIGCONT)", pid)
	told, release := make(chan struct{}), make(chan struct{})
	remove := s.d.AddNoticeFunc(func(line string) {
		if line == continued {
			close(told)
			<-release
		}
	})
	defer remove()
	released := false
	defer func() {
		if !released {
			close(release)
		}
	}()
	ch = s.cont()
	s.notes.wait(t, fmt.Sprintf("process %d is stopped by SIGSTOP (job control): waiting for SIGCONT (Ctrl-C halts)", pid))
	job.Signal(t, syscall.SIGCONT)
	select {
	case <-told:
	case <-time.After(timeout):
		t.Fatalf("no %q within %v", continued, timeout)
	}
	// The program runs to the breakpoint at once (-period 0); its stop
	// waits for the notice.
	select {
	case st := <-ch:
		t.Fatalf("the stop came while the SIGCONT was being told: %s", describe(st))
	case <-time.After(time.Second):
	}
	close(release)
	released = true
	if st := s.recv(ch); st.Err != nil || st.CurrentThread == nil || st.CurrentThread.Breakpoint == nil || st.CurrentThread.Breakpoint.ID != bp.ID {
		t.Fatalf("after SIGCONT: %s, err %v; want breakpoint %d", describe(st), st.Err, bp.ID)
	}
}
