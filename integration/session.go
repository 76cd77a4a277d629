//go:build linux

package integration

import (
	"testing"
	"time"

	"github.com/go-delve/delve/service/api"
	"golang.org/x/sys/unix"

	"github.com/dlv-listen/dlv-listen/backend"
	"github.com/dlv-listen/dlv-listen/listenmode"
	"github.com/dlv-listen/dlv-listen/service/debugger"
)

// Session is dlv-listen attached in-process, on the session layer
// (service/debugger, the layer every front end uses): no binary, no pty,
// typed job-control events. For tests that need many rounds fast (stress)
// or exact event sequences.
type Session struct {
	t      testing.TB
	D      *debugger.Debugger
	Pid    int
	Events *backend.Subscription // job-control events, in order

	conts []<-chan *api.DebuggerState
}

// AttachSession attaches to pid. A cleanup halts a continue still running
// and detaches (breakpoints removed, job state kept), before the process's
// own cleanups kill it.
func AttachSession(t testing.TB, pid int) *Session {
	t.Helper()
	grp, err := backend.Attach(pid, nil, nil)
	if err != nil {
		t.Fatalf("attach %d: %v", pid, err)
	}
	d, err := debugger.New(grp, debugger.Config{AttachPid: pid})
	if err != nil {
		_ = grp.Detach(false)
		t.Fatalf("attach %d: session: %v", pid, err)
	}
	s := &Session{t: t, D: d, Pid: pid, Events: d.Process().Subscribe()}
	t.Cleanup(s.close)
	return s
}

func (s *Session) close() {
	for _, ch := range s.conts {
		s.finish(ch)
	}
	_ = s.D.Client().Detach(false)
	s.Events.Close()
}

// finish halts until the continue channel ch is closed. A continue that
// goes on over tracepoints is between two commands from time to time, so
// one halt may find nothing running: halt again until the channel closes,
// for at most CmdTimeout, then release the process.
func (s *Session) finish(ch <-chan *api.DebuggerState) {
	deadline := time.After(CmdTimeout)
	for {
		go s.D.Client().Halt()
		select {
		case _, ok := <-ch:
			if !ok {
				return
			}
		case <-time.After(500 * time.Millisecond):
		case <-deadline:
			s.t.Errorf("session %d: the continue did not end within %v of halting; releasing", s.Pid, CmdTimeout)
			s.D.Process().Release()
			return
		}
	}
}

// Continue starts a continue and returns its channel (one state per stop;
// closed when the command ends).
func (s *Session) Continue() <-chan *api.DebuggerState {
	ch := s.D.Client().Continue()
	s.conts = append(s.conts, ch)
	return ch
}

// Halt halts a running continue and returns the state.
func (s *Session) Halt(t testing.TB) *api.DebuggerState {
	t.Helper()
	st, err := s.D.Client().Halt()
	if err != nil {
		t.Fatalf("halt %d: %v", s.Pid, err)
	}
	return st
}

// NextEvent waits up to timeout for the next job-control event.
func (s *Session) NextEvent(t testing.TB, timeout time.Duration) listenmode.Event {
	t.Helper()
	select {
	case ev, ok := <-s.Events.C:
		if !ok {
			t.Fatalf("pid %d: the event stream ended (process gone or detached)", s.Pid)
		}
		return ev
	case <-time.After(timeout):
		t.Fatalf("pid %d: no job-control event within %v (state %s)", s.Pid, timeout, Describe(s.Pid))
	}
	panic("unreachable")
}

// ExpectStop waits for the next event and fails unless it is a group-stop
// by sig.
func (s *Session) ExpectStop(t testing.TB, sig unix.Signal, timeout time.Duration) {
	t.Helper()
	ev := s.NextEvent(t, timeout)
	if ev.Kind != listenmode.GroupStopBegan || ev.Signal != sig {
		t.Fatalf("pid %d: event %v, want a group-stop by %s", s.Pid, ev, unix.SignalName(sig))
	}
}

// ExpectContinue waits for the next event and fails unless it is the end
// of a group-stop.
func (s *Session) ExpectContinue(t testing.TB, timeout time.Duration) {
	t.Helper()
	ev := s.NextEvent(t, timeout)
	if ev.Kind != listenmode.GroupStopEnded {
		t.Fatalf("pid %d: event %v, want the group-stop's end", s.Pid, ev)
	}
}

// NoEvent fails if an event comes within d.
func (s *Session) NoEvent(t testing.TB, d time.Duration) {
	t.Helper()
	select {
	case ev, ok := <-s.Events.C:
		if ok {
			t.Fatalf("pid %d: unexpected event %v", s.Pid, ev)
		}
	case <-time.After(d):
	}
}
