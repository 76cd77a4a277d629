package listenmode

import "golang.org/x/sys/unix"

// Op is what the backend does with a stopped thread.
type Op uint8

const (
	// Hold keeps the thread in its ptrace-stop: the debugger reports a stop.
	Hold Op = iota
	// Cont resumes it with PTRACE_CONT, delivering Action.Signal.
	Cont
	// Listen issues PTRACE_LISTEN: the thread stays in group-stop and the
	// kernel re-traps it when the group-stop ends (SIGCONT) or on
	// PTRACE_INTERRUPT.
	Listen
)

func (o Op) String() string {
	switch o {
	case Hold:
		return "hold"
	case Cont:
		return "cont"
	case Listen:
		return "listen"
	}
	return "op?"
}

// Action is a decision for one thread.
type Action struct {
	Op Op
	// Signal is delivered with PTRACE_CONT.
	Signal unix.Signal
	// Requeue: Signal cannot ride on PTRACE_CONT because the thread is not in
	// a signal-delivery-stop (the kernel ignores it there), so the backend
	// must queue it again with tgkill(2) before it resumes the thread.
	Requeue bool
}

// Policy says what a group-stop means to the debugger.
type Policy uint8

const (
	// PolicyListen (the default) keeps the debuggee stopped and listens:
	// continuing a group-stopped process waits for SIGCONT.
	PolicyListen Policy = iota
	// PolicyReport reports the start of a group-stop as a debugger stop,
	// then listens as PolicyListen does when continued.
	PolicyReport
)

func (p Policy) String() string {
	if p == PolicyReport {
		return "report"
	}
	return "listen"
}

// Resume decides how to resume a held thread whose last stop was last and
// that still owes the program the signal pending.
//
// A thread in group-stop is never PTRACE_CONT'ed: for a seized tracee that
// would run it while its process is stopped, undoing the user's job control
// (ptrace(2), "PTRACE_LISTEN"). PTRACE_LISTEN is accepted only from a
// PTRACE_EVENT_STOP (EIO after a signal-delivery-stop), and is always safe
// on a group-stopped thread: if SIGCONT already came while we held it, the
// kernel re-traps it at once with the SIGTRAP notification.
func Resume(last Stop, pending unix.Signal) Action {
	if last.Kind == KindGroupStop {
		return Action{Op: Listen, Signal: pending, Requeue: pending != 0}
	}
	if pending != 0 && !last.IsSignalDeliveryStop() {
		return Action{Op: Cont, Signal: pending, Requeue: true}
	}
	return Action{Op: Cont, Signal: pending}
}

// React decides what to do with a stop that arrived while the process was
// continuing. began is true when this stop started a group-stop (see
// Tracker.Observe).
//
//   - breakpoint, watchpoint and single-step traps are held for the debugger;
//   - a group-stop is listened to, or held when the policy reports it and
//     this stop began it;
//   - a signal-delivery-stop is resumed delivering its signal: stopping
//     signals included, so the group-stop they cause is the program's own;
//   - an event stop (interrupt-stop, a new thread's first stop, the listen
//     notification, a clone/exec event) is resumed with no signal.
func (p Policy) React(s Stop, began bool) Action {
	switch s.Kind {
	case KindBreakpoint, KindWatchpoint, KindSingleStep:
		return Action{Op: Hold}
	case KindGroupStop:
		if began && p == PolicyReport {
			return Action{Op: Hold}
		}
		return Action{Op: Listen}
	case KindSignal:
		return Action{Op: Cont, Signal: s.Reinject()}
	}
	return Action{Op: Cont}
}
