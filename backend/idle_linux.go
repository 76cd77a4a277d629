package backend

import (
	"time"

	"golang.org/x/sys/unix"

	"github.com/dlv-listen/dlv-listen/listenmode"
)

// Listening while idle.
//
// A group-stopped process the debugger holds (halted at a prompt, or just
// attached) is in ptrace-stops the debugger reaped. A SIGCONT sent to it
// then ends the group-stop, but the kernel only marks each seized thread
// (ptrace_trap_notify sets JOBCTL_TRAP_NOTIFY and wakes the thread only if
// it is listening), and the real parent is told only when a thread next
// runs get_signal: nobody hears of it until the debugger resumes or probes
// the process. So when no request has come for idleAfter, the tracer
// parks the group-stopped threads with PTRACE_LISTEN: they stay stopped
// and do not run, and a SIGCONT re-traps them at once with the SIGTRAP
// notification, which the tracer takes and publishes as it comes. Before
// the next request the parked threads are interrupted back into their
// stop (PTRACE_INTERRUPT of a listening thread re-traps it, reporting the
// group's state), so every request still finds them held.
//
// A parked thread executes nothing between its park and its next stop, so
// its registers are as they were: the cache proc may be reading is kept
// (reap does not invalidate it for a parked thread).

// idleAfter is how long the tracer waits without a request before it
// parks: a command's requests come closer together than that, so parking
// does not slow them down.
const idleAfter = 30 * time.Millisecond

// parkable reports whether parking could help: the process is known to be
// group-stopped and not running free. Any goroutine (atomics only).
func (p *Process) parkable() bool {
	if st, _ := p.JobState(); st != listenmode.StateStopped {
		return false
	}
	return !p.free.on.Load() && !p.exited.Load() && !p.detached.Load() && !p.release.started()
}

// park lets every held, group-stopped thread that owes the program no
// signal listen. It reports whether any does. Tracer thread, idle.
func (p *Process) park() bool {
	if !p.parkable() {
		return false
	}
	parked := false
	for _, th := range p.threadSlice() {
		if th.state != held || th.last.Kind != listenmode.KindGroupStop || len(th.pending) > 0 || th.trapped || th.queuedTrap {
			continue
		}
		if err := ptraceListen(th.ID); err != nil {
			continue // killed meanwhile: its exit is reported
		}
		th.state = listening
		th.parked = true
		p.job.Resumed(th.ID)
		parked = true
	}
	return parked
}

// serveParked takes the reports of parked threads as they come: the
// notification that the group-stop ended, an exit. Each parked thread that
// reports is held again. It reports whether any thread is still parked.
// Tracer thread, idle.
func (p *Process) serveParked() bool {
	p.tr.drainSigchld()
	tid, ws, err := wait4(-1, true)
	if err != nil || tid <= 0 {
		return p.anyParked()
	}
	// A parked thread re-trapped: a SIGCONT ended the group-stop (every
	// thread was notified), or the process is being killed. The real
	// parent hears of a SIGCONT as the first thread passes get_signal,
	// before the others are back in their stop, so the change is
	// published only once every parked thread is held again: a process
	// reported halted shows no thread on its way anywhere.
	p.subs.hold()
	defer p.subs.release()
	if err := p.stopReport(tid, ws); err != nil {
		return false // the process is gone
	}
	p.unpark()
	return false
}

// unpark interrupts the parked threads back into a ptrace-stop and waits
// until they are held: the next request needs them held. Tracer thread.
func (p *Process) unpark() {
	for _, th := range p.threadSlice() {
		if th.parked && th.state == listening {
			if err := ptraceInterrupt(th.ID); err != nil && err != unix.ESRCH {
				p.repaired("interrupt parked thread %d of process %d: %v", th.ID, p.pid, err)
			}
		}
	}
	// Bounded like every stop (reconcile, stopDeadline); an error here
	// resurfaces in the request that follows, which finds a thread not
	// held.
	_ = p.awaitHeld()
}

func (p *Process) anyParked() bool {
	for _, th := range p.threadSlice() {
		if th.parked && th.state == listening {
			return true
		}
	}
	return false
}
