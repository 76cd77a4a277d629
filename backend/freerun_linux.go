package backend

import (
	"errors"
	"sync"
	"sync/atomic"
)

// freeRun is the phase between PTRACE_SEIZE at attach and the first
// operation that needs a stopped thread: every thread is traced but runs,
// and the tracer thread serves the program's reports (new threads, signals
// to deliver, job-control stops) so the program does not notice the
// debugger while Delve loads the debug information on another goroutine.
type freeRun struct {
	// on is true while the phase lasts; read from any goroutine.
	on atomic.Bool
	// mu serialises ending the phase.
	mu sync.Mutex
	// err is why the serving loop ended early (the process exited);
	// written on the tracer thread before the loop's request completes.
	err error
	// declineRegs: register reads fail instead of stopping the program
	// (while proc builds the target; see initialize).
	declineRegs atomic.Bool
}

// errRunningFree is the answer to a register read declined while the
// program runs free.
var errRunningFree = errors.New("the program is running: its threads are not stopped yet")

// startFreeRun lets the seized, running process go on running, the tracer
// serving its reports until stopFreeRun. Every thread is running or
// listening when it is called.
func (p *Process) startFreeRun() {
	p.free.on.Store(true)
	p.serveOnTracer()
}

// serveOnTracer hands the tracer thread to serveFreeRun until a halt token
// comes.
func (p *Process) serveOnTracer() {
	started := make(chan struct{})
	go p.tr.do(func() {
		// Taken before any later request: the next request queues
		// behind this one, never ahead of it.
		close(started)
		p.serveFreeRun()
	})
	<-started
}

// serveFreeRun handles reports as a continue does, until a halt token
// comes or the process is gone. A thread that takes a breakpoint trap (a
// breakpoint written while the program ran) is held until the stop, which
// makes it execute the breakpoint again (rerunHeldTraps). Tracer thread.
func (p *Process) serveFreeRun() {
	for {
		th, _, err := p.waitForTrap()
		if err != nil {
			p.free.err = err
			return
		}
		if th == nil {
			return // halted
		}
	}
}

// onTracer runs fn on the tracer thread, like tracer.do. While the program
// runs free, the tracer serves it: the service pauses for fn (the threads
// run on; a report waits a moment) and resumes after it, unless stop says
// the program is to stay stopped, in which case fn runs once every thread
// is held. Safe from any goroutine.
func (p *Process) onTracer(stop bool, fn func()) bool {
	if !p.free.on.Load() {
		return p.tr.do(fn)
	}
	p.free.mu.Lock()
	defer p.free.mu.Unlock()
	if !p.free.on.Load() {
		return p.tr.do(fn)
	}
	p.sendHalt()
	// serveFreeRun has returned when this request runs.
	ran := p.tr.do(func() {
		if stop && p.free.err == nil {
			p.free.err = p.stopAll()
			if p.free.err == nil {
				p.free.err = p.rerunHeldTraps()
			}
			p.free.on.Store(false)
		}
		fn()
	})
	// The halt token is spent or stale: nobody else waits for one yet.
	select {
	case <-p.haltc:
	default:
	}
	if !ran || p.free.err != nil {
		p.free.on.Store(false)
	}
	if p.free.on.Load() {
		p.serveOnTracer()
	}
	return ran
}

// stopFreeRun ends the free-running phase, if it lasts, by stopping every
// thread: the first operation that needs a stopped thread calls it
// (registers, stepping, a continue, hardware breakpoints, detach). Safe
// from any goroutine; it returns once every thread is held.
func (p *Process) stopFreeRun() error {
	if !p.free.on.Load() {
		return nil
	}
	var err error
	if !p.onTracer(true, func() {}) {
		_, err = p.Valid()
		return err
	}
	p.free.mu.Lock()
	err = p.free.err
	p.free.mu.Unlock()
	return err
}

// rerunHeldTraps, every thread held, puts each thread that executed one of
// our int3s while the program ran free back onto it, as if it had not
// reached it yet: nobody was continuing, so the hit cannot be reported,
// and the thread executes the breakpoint again when it is resumed, where
// the hit is reported to proc like any other. A thread that executed an
// int3 but reported the stop's PTRACE_INTERRUPT first has its SIGTRAP
// still queued (SigPnd): it is put back too, and the stale SIGTRAP is
// swallowed at the resume (queuedTrap). It works from what the tracer
// planted, not from proc's breakpoint map, which proc may be filling on
// another goroutine meanwhile. Tracer thread.
func (p *Process) rerunHeldTraps() error {
	p.plantMu.Lock()
	defer p.plantMu.Unlock()
	size := uint64(p.bi.Arch.BreakpointSize())
	for _, th := range p.threadSlice() {
		trapped := th.trapped
		th.trapped = false
		th.CurrentBreakpoint.Clear()
		// Every path below either finds its queued trap or shows it has
		// none (a signal-delivery-stop would have been the trap's own).
		th.checked = true
		if (!trapped && th.last.IsSignalDeliveryStop()) || th.unreadable() {
			continue
		}
		pc, err := th.pcOnTracer()
		if err != nil {
			return err
		}
		if !p.bi.Arch.BreakInstrMovesPC() {
			// arm64's BRK leaves pc on itself: the thread is already back
			// on it. A trap still queued is stale and swallowed.
			if bp, ok := p.planted[pc]; ok && bp.WatchType == 0 && !trapped && trapPending(p.pid, th.ID) {
				th.queuedTrap = true
			}
			continue
		}
		bp, ok := p.planted[pc-size]
		if !ok || bp.WatchType != 0 {
			continue
		}
		if !trapped {
			// Past the int3's address without its trap: it ran the
			// original instruction before the int3 was planted, unless
			// the trap is still queued.
			if !trapPending(p.pid, th.ID) {
				continue
			}
			th.queuedTrap = true
		}
		if err := th.setPC(bp.Addr); err != nil {
			return err
		}
	}
	return nil
}

// needStopped ends the free-running phase before an operation that needs
// a stopped thread, and says whether the process can still be used.
func (p *Process) needStopped() error {
	if err := p.stopFreeRun(); err != nil {
		if ok, verr := p.Valid(); !ok {
			return verr
		}
		return err
	}
	return nil
}
