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
// while there is none. With haltable, a halt request ends the sleep. It
// waits for the program itself (a breakpoint, an exit), so it has no
// bound of its own; a halt or a Release ends it. Tracer thread only.
func (p *Process) nextReport(haltable bool) (int, unix.WaitStatus, error) {
	var halt <-chan struct{}
	if haltable {
		halt = p.haltc
	}
	return p.waitReport(halt, 0)
}

func (p *Process) exitErr() error {
	return proc.ErrProcessExited{Pid: p.pid, Status: p.exitStatus}
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
	if stop.Kind == listenmode.KindExec && tid == p.pid {
		p.selfExec(stop)
		return nil, stop
	}
	th := p.thread(tid)
	if th == nil && tid != p.pid && p.kidReport(tid, stop) {
		return nil, stop // a new process, not a thread of the debuggee
	}
	if stop.Gone() {
		if th != nil {
			if th.spawned && !th.announced {
				// wait(2) walks the newest tracees first, so a short-lived
				// thread's first stop and exit can both be reaped before
				// its creator's PTRACE_EVENT_CLONE report: remember it so
				// that report does not bring back a thread that is gone.
				p.vanished[tid] = struct{}{}
			}
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
	if th.parked {
		// Parked while idle: it ran nothing, and proc may be reading
		// the cache from another goroutine; what settleTraps found
		// still holds.
		th.parked = false
	} else {
		th.invalidateRegisters()
		th.checked = false
		// A queued SIGTRAP an unsettled stop left would have been
		// this report: the question is closed.
		th.unsettled = false
	}
	if th.isNew {
		th.isNew = false
		p.copyWatchpoints(th)
	}
	if stop.Kind != listenmode.KindVfork {
		// Any report of a thread after its vfork event ends the wait (the
		// PTRACE_EVENT_STOP of an interrupt it kept through the wait,
		// usually: see interruptVforkWaiter).
		th.vfork = vforkWait{}
	}
	switch stop.Kind {
	case listenmode.KindClone, listenmode.KindFork, listenmode.KindVfork:
		if msg, err := ptraceGetEventMsg(tid); err == nil && !p.created(th, int(msg), stop.Kind) {
			p.cloned(th, int(msg))
		}
	}
	return th, stop
}

// cloned takes creator's PTRACE_EVENT_CLONE report naming a new thread tid.
// The kernel attached the thread already; its first stop may have been
// reaped before this report, and, for a thread that exits at once, its exit
// too. The thread has its creator's ptrace options (ptrace_init_task), so
// its first resume sets none when they are the ones it should run with
// (syncOptions).
func (p *Process) cloned(creator *Thread, tid int) {
	if _, gone := p.vanished[tid]; gone {
		delete(p.vanished, tid)
		return
	}
	th := p.thread(tid)
	if th == nil {
		th = p.newThread(tid, true)
		th.state = running // its first stop is on its way
	}
	th.announced = true
	if th.opts == 0 {
		th.opts = creator.opts
	}
}

// newThread registers a thread; spawned says the kernel attached it
// (its first stop is not trusted for job state), otherwise we seized it
// (or set its options at a launch) with ptraceOptions.
func (p *Process) newThread(tid int, spawned bool) *Thread {
	th := &Thread{ID: tid, p: p, state: running, isNew: true, spawned: spawned}
	if !spawned {
		th.opts = ptraceOptions
	}
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
// It reads what the tracer planted, not proc's breakpoint map: a thread is
// born while the program runs free too, when proc fills that map on
// another goroutine (a concurrent map iteration and write killed a test
// binary once). Tracer thread.
func (p *Process) copyWatchpoints(th *Thread) {
	p.plantMu.Lock()
	defer p.plantMu.Unlock()
	for _, bp := range p.planted {
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
	if err := p.syncOptions(th); err != nil {
		return err
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
	th.keepVforkRegisters()
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
