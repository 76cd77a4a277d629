package rpc_test

import (
	"syscall"
	"testing"
	"time"

	"github.com/dlv-listen/dlv-listen/internal/testprog"
	"github.com/dlv-listen/dlv-listen/service/jobapi"
)

// jobLogKept is the number of job-control changes a session keeps for
// readers that read late.
const jobLogKept = 1024

// TestJobEventsFellBehind: a JobEvents reader that asks only after the
// session went through more job-control changes than it keeps is told,
// first, which ones it lost (an EventLost naming them), then gets the
// rest in order, Next after the last; nothing is missed silently.
func TestJobEventsFellBehind(t *testing.T) {
	job := testprog.Start(t, "counter", "-workers", "0")
	s := attach(t, job)
	var first jobapi.JobEventsOut
	if err := s.c.CallAPI("JobEvents", jobapi.JobEventsIn{}, &first); err != nil {
		t.Fatal(err)
	}
	s.cont()
	job.WaitAdvance(t, timeout)
	const total = jobLogKept + 60
	var seq uint64
	for seq < total {
		sig := syscall.SIGSTOP
		if seq%2 == 1 {
			sig = syscall.SIGCONT
		}
		if err := syscall.Kill(job.Pid, sig); err != nil {
			t.Fatal(err)
		}
		seq = waitJobSeq(t, s, seq+1)
	}

	var out jobapi.JobEventsOut
	if err := s.c.CallAPI("JobEvents", jobapi.JobEventsIn{After: first.Next, Wait: true}, &out); err != nil {
		t.Fatal(err)
	}
	if len(out.Events) != jobLogKept+1 || out.Next != total {
		t.Fatalf("JobEvents after %d: %d events, next %d; want the loss, %d events and next %d", first.Next, len(out.Events), out.Next, jobLogKept, total)
	}
	lost := out.Events[0]
	if want := uint64(total - jobLogKept); lost.Kind != jobapi.EventLost || lost.Lost != want || lost.Seq != want {
		t.Errorf("first event %+v, want %s of %d changes up to %d", lost, jobapi.EventLost, want, want)
	}
	t.Logf("%s", lost.Text)
	for i, ev := range out.Events[1:] {
		kind := jobapi.EventStopped
		if ev.Seq%2 == 0 {
			kind = jobapi.EventContinued
		}
		if ev.Seq != lost.Seq+1+uint64(i) || ev.Kind != kind || ev.Pid != job.Pid {
			t.Fatalf("event %d: %+v, want %s of process %d, seq %d", i+1, ev, kind, job.Pid, lost.Seq+1+uint64(i))
		}
	}
}

// waitJobSeq waits until the session has logged job-control change seq
// and returns the last logged.
func waitJobSeq(t *testing.T, s *session, seq uint64) uint64 {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		evs, more := s.d.JobEventsAfter(seq - 1)
		if len(evs) > 0 {
			return evs[len(evs)-1].Seq
		}
		select {
		case <-more:
		case <-deadline.C:
			t.Fatalf("no job-control change %d within %v", seq, timeout)
		}
	}
}
