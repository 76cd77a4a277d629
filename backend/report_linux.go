package backend

import (
	"errors"
	"fmt"

	"github.com/go-delve/delve/pkg/proc"
	"golang.org/x/sys/unix"

	"github.com/dlv-listen/dlv-listen/listenmode"
)

// errHalted is nextReport's answer when a halt request came first.
var errHalted = errors.New("halted")

// nextReport reaps the next wait status of our tracees, sleeping on SIGCHLD
// while there is none. With haltable, a halt request ends the sleep.
// Tracer thread only.
func (p *Process) nextReport(haltable bool) (int, unix.WaitStatus, error) {
	var halt <-chan struct{}
	if haltable {
		halt = p.haltc
	}
	for {
		p.tr.drainSigchld()
		tid, ws, err := wait4(-1, true)
		if err == unix.ECHILD {
			// No tracee is left: the process is gone and fully reaped.
			p.postExit(p.exitStatus)
			return 0, 0, proc.ErrProcessExited{Pid: p.pid, Status: p.exitStatus}
		}
		if err != nil {
			return 0, 0, fmt.Errorf("wait for process %d: %w", p.pid, err)
		}
		if tid > 0 {
			return tid, ws, nil
		}
		select {
		case <-p.tr.sigchld:
		case <-halt:
			return 0, 0, errHalted
		}
	}
}

// reap records one wait status of thread tid: it decodes it, updates the
// thread table (new threads, clones, exits) and holds the thread. It
// returns nil for a thread that is gone. Tracer thread only.
func (p *Process) reap(tid int, ws unix.WaitStatus) (*Thread, listenmode.Stop) {
	var code int32
	if listenmode.NeedsSiginfo(ws) {
		code, _ = ptraceSiginfoCode(tid)
	}
	stop := listenmode.Decode(ws, code)
	th := p.thread(tid)
	if stop.Gone() {
		if th != nil {
			p.removeThread(tid)
		}
		if tid == p.pid {
			// The leader's end is reported last (delay_group_leader): the
			// whole process is gone.
			status := stop.Status
			if stop.Kind == listenmode.KindKilled {
				status = -int(stop.Signal)
			}
			p.postExit(status)
		}
		return nil, stop
	}
	if th == nil {
		// A thread the kernel auto-attached (PTRACE_O_TRACECLONE) whose
		// first stop came before its creator's PTRACE_EVENT_CLONE.
		th = p.newThread(tid, true)
	}
	th.state = held
	th.last = stop
	th.invalidateRegisters()
	if th.isNew {
		th.isNew = false
		p.copyWatchpoints(th)
	}
	if stop.Kind == listenmode.KindClone {
		if msg, err := ptraceGetEventMsg(tid); err == nil {
			if p.thread(int(msg)) == nil {
				p.newThread(int(msg), true).state = running
			}
		}
	}
	return th, stop
}

// newThread registers a thread; spawned says the kernel attached it
// (its first stop is not trusted for job state), otherwise we seized it.
func (p *Process) newThread(tid int, spawned bool) *Thread {
	th := &Thread{ID: tid, p: p, state: running, isNew: true}
	p.addThread(th)
	if spawned {
		p.job.Spawned(tid)
	} else {
		p.job.Seized(tid)
	}
	return th
}

// copyWatchpoints gives a new thread the hardware watchpoints every other
// thread has: debug registers are per thread and not inherited on clone.
func (p *Process) copyWatchpoints(th *Thread) {
	for _, bp := range p.breakpoints.M {
		if bp.WatchType != 0 {
			_ = th.writeHardwareBreakpoint(bp.Addr, bp.WatchType, bp.HWBreakIndex)
		}
	}
}

// observe feeds a stop to the job model and publishes the transition it
// shows. It returns whether the stop began a group-stop.
func (p *Process) observe(th *Thread, stop listenmode.Stop) bool {
	ev, ok := p.job.Observe(th.ID, stop)
	p.publishJobState()
	if !ok {
		return false
	}
	p.subs.emit(ev)
	return ev.Kind == listenmode.GroupStopBegan
}

// apply carries out a decision for a held thread.
func (p *Process) apply(th *Thread, act listenmode.Action) error {
	if act.Op == listenmode.Hold {
		return nil
	}
	sig := act.Signal
	if act.Requeue && sig != 0 {
		// The kernel ignores a signal given to PTRACE_CONT from an event
		// stop, so queue it again; the thread meets it when it runs.
		if err := unix.Tgkill(p.pid, th.ID, sig); err != nil && err != unix.ESRCH {
			return fmt.Errorf("re-queue %s to thread %d: %w", unix.SignalName(sig), th.ID, err)
		}
		sig = 0
	}
	var err error
	if act.Op == listenmode.Listen {
		err = ptraceListen(th.ID)
		th.state = listening
	} else {
		err = ptraceCont(th.ID, sig)
		th.state = running
	}
	th.invalidateRegisters()
	if err == unix.ESRCH {
		// Killed while stopped: its exit report is on its way.
		return nil
	}
	if err != nil {
		th.state = held
		return fmt.Errorf("%s thread %d: %w", act.Op, th.ID, err)
	}
	th.pending = th.pending[:0]
	th.trapped = false
	p.job.Resumed(th.ID)
	return nil
}

// resume lets a held thread go as listenmode decides from its last stop.
func (p *Process) resume(th *Thread) error {
	var first unix.Signal
	if len(th.pending) > 0 {
		first = th.pending[0]
		// Standard signals do not queue twice, so the rest can simply be
		// sent again; they reach the program after the first.
		for _, sig := range th.pending[1:] {
			if err := unix.Tgkill(p.pid, th.ID, sig); err != nil && err != unix.ESRCH {
				return fmt.Errorf("re-queue %s to thread %d: %w", unix.SignalName(sig), th.ID, err)
			}
		}
	}
	return p.apply(th, listenmode.Resume(th.last, first))
}

// holdPending keeps the signal of a signal-delivery-stop for the program,
// unless the debugger intercepts it.
func (p *Process) holdPending(th *Thread, stop listenmode.Stop) {
	if sig := stop.Reinject(); sig != 0 && !p.intercepted(stop) {
		th.pending = append(th.pending, sig)
	}
}

// intercepted reports whether stop is the delivery of a signal the debugger
// takes for itself (InterceptSignals).
func (p *Process) intercepted(stop listenmode.Stop) bool {
	return stop.Kind == listenmode.KindSignal && stop.Signal > 0 && stop.Signal < 64 &&
		p.intercept.Load()&(1<<uint(stop.Signal)) != 0
}

// InterceptSignals makes the given signals, when the program is about to
// receive them while it is continued, halt it instead of being delivered:
// the front end that shares its terminal with the program uses it for
// Ctrl-C (SIGINT), as gdb does. Safe from any goroutine.
func (p *Process) InterceptSignals(sigs ...unix.Signal) {
	var mask uint64
	for _, s := range sigs {
		if s > 0 && s < 64 {
			mask |= 1 << uint(s)
		}
	}
	p.intercept.Store(mask)
}
