package listenmode

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// State is the job-control state of a whole process.
type State uint8

const (
	// StateUnknown: nothing observed yet (before attach completes).
	StateUnknown State = iota
	// StateRunning: not in a group-stop.
	StateRunning
	// StateStopped: in a group-stop (SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU).
	StateStopped
)

func (s State) String() string {
	switch s {
	case StateRunning:
		return "running"
	case StateStopped:
		return "stopped"
	}
	return "unknown"
}

// EventKind names a job-control transition of a process.
type EventKind uint8

const (
	// GroupStopBegan: the process entered a group-stop; Event.Signal says why.
	GroupStopBegan EventKind = iota + 1
	// GroupStopEnded: the group-stop ended (SIGCONT).
	GroupStopEnded
)

// Event is one job-control transition of a process: emitted once per
// process transition, whatever the number of its threads.
type Event struct {
	Kind EventKind
	Pid  int
	// Signal is the stop signal for GroupStopBegan.
	Signal unix.Signal
	// Tid is the thread whose report showed the transition.
	Tid int
}

func (e Event) String() string {
	switch e.Kind {
	case GroupStopBegan:
		return fmt.Sprintf("process %d: group-stop began, %s", e.Pid, unix.SignalName(e.Signal))
	case GroupStopEnded:
		return fmt.Sprintf("process %d: group-stop ended", e.Pid)
	}
	return fmt.Sprintf("process %d: event %d", e.Pid, e.Kind)
}

// notFresh marks a thread whose next report cannot move the process state.
const notFresh = ^uint64(0)

// Tracker follows the job-control state of one process from the reports of
// its threads.
//
// Reports of different threads reach the tracer out of order: wait(2) walks
// the tracer's tracee list, not a queue, so a thread's group-stop trap may
// be reaped after another thread already showed the SIGCONT that ended it.
// The tracker therefore lets a report move the state only if it is fresh:
// the thread was resumed (PTRACE_CONT or PTRACE_LISTEN) after the current
// state was learned, so its trap happened after that state began and a
// difference is a real transition. A stale report changes nothing; the
// backend resumes that thread, and its next report is fresh. Only
// PTRACE_EVENT_STOP reports are evidence, because do_jobctl_trap computes
// their signal from the group's state at trap time (a stop signal while a
// group-stop is pending or complete, SIGTRAP otherwise).
type Tracker struct {
	pid     int
	state   State
	signal  unix.Signal
	version uint64
	// resumedAt is, per thread, the version at which the thread was last
	// resumed; notFresh until then.
	resumedAt map[int]uint64
}

// NewTracker returns a tracker for process pid whose state is unknown.
// Threads seized at attach count as fresh: their first reports establish
// the initial state.
func NewTracker(pid int) *Tracker {
	return &Tracker{pid: pid, resumedAt: make(map[int]uint64)}
}

// State returns the process's job state and, when stopped, its stop signal.
func (t *Tracker) State() (State, unix.Signal) { return t.state, t.signal }

// Seized registers a thread seized at attach: its first report is fresh.
func (t *Tracker) Seized(tid int) { t.resumedAt[tid] = t.version }

// Spawned registers a thread the kernel auto-attached: it was created at an
// unknown point relative to the current state, so its first report is not
// trusted.
func (t *Tracker) Spawned(tid int) {
	if _, ok := t.resumedAt[tid]; !ok {
		t.resumedAt[tid] = notFresh
	}
}

// Resumed records that tid was resumed (CONT or LISTEN) now.
func (t *Tracker) Resumed(tid int) { t.resumedAt[tid] = t.version }

// Held records that tid stopped and is held: its reports are stale until it
// is resumed again.
func (t *Tracker) Held(tid int) { t.resumedAt[tid] = notFresh }

// Forget drops a thread that is gone.
func (t *Tracker) Forget(tid int) { delete(t.resumedAt, tid) }

// Observe takes one report of thread tid and returns the process transition
// it shows, if any. The thread counts as held afterwards.
func (t *Tracker) Observe(tid int, s Stop) (Event, bool) {
	at, ok := t.resumedAt[tid]
	t.resumedAt[tid] = notFresh
	if !ok || at != t.version {
		return Event{}, false
	}
	var next State
	switch s.Kind {
	case KindGroupStop:
		next = StateStopped
	case KindEventStop:
		next = StateRunning
	default:
		return Event{}, false
	}
	if next == t.state {
		if next == StateStopped && s.Signal != t.signal {
			// Still stopped, by another signal: a SIGCONT/SIGSTOP pair
			// whose traps all came after the second stop, or a second stop
			// signal during this group-stop (do_signal_stop records it).
			t.signal = s.Signal
		}
		return Event{}, false
	}
	prev := t.state
	t.state = next
	t.version++
	if next == StateStopped {
		t.signal = s.Signal
	} else {
		t.signal = 0
	}
	if prev == StateUnknown {
		// The initial state is learned, not a transition.
		return Event{}, false
	}
	if next == StateStopped {
		return Event{Kind: GroupStopBegan, Pid: t.pid, Signal: s.Signal, Tid: tid}, true
	}
	return Event{Kind: GroupStopEnded, Pid: t.pid, Tid: tid}, true
}

// Assume sets the state when no report established it (no thread reported
// a PTRACE_EVENT_STOP at attach: none of them is group-stopped). It does
// nothing once the state is known.
func (t *Tracker) Assume(s State) {
	if t.state == StateUnknown {
		t.state = s
		t.version++
	}
}
