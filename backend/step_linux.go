package backend

import (
	"fmt"

	"github.com/go-delve/delve/pkg/proc"
	"golang.org/x/sys/unix"

	"github.com/dlv-listen/dlv-listen/listenmode"
)

// ErrJobStopped says a thread cannot execute because its process is in a
// job-control stop; it runs again after SIGCONT.
type ErrJobStopped struct {
	Pid, Tid int
	Signal   unix.Signal
}

func (e *ErrJobStopped) Error() string {
	return fmt.Sprintf("process %d is stopped by %s (job control): thread %d cannot execute until the process receives SIGCONT",
		e.Pid, unix.SignalName(e.Signal), e.Tid)
}

func (p *Process) stepInstructionTid(tid int) error {
	if ok, err := p.Valid(); !ok {
		return err
	}
	th := p.thread(tid)
	if th == nil {
		return fmt.Errorf("step: no thread %d in process %d", tid, p.pid)
	}
	var err error
	p.tr.do(func() { err = p.stepInstruction(th) })
	return err
}

// stepInstruction executes one instruction of th, lifting a breakpoint or
// watchpoint that sits there for the step. A group-stopped thread is not
// stepped: PTRACE_SINGLESTEP from a group-stop would run it while its
// process is stopped. Tracer thread.
func (p *Process) stepInstruction(th *Thread) (err error) {
	if th.last.Kind == listenmode.KindGroupStop {
		return &ErrJobStopped{Pid: p.pid, Tid: th.ID, Signal: th.last.Signal}
	}
	if bp := th.CurrentBreakpoint.Breakpoint; bp != nil && bp.WatchType != 0 && p.breakpoints.M[bp.Addr] == bp {
		if err := th.clearHardwareBreakpoint(bp.Addr, bp.WatchType, bp.HWBreakIndex); err != nil {
			return err
		}
		defer func() {
			if werr := th.writeHardwareBreakpoint(bp.Addr, bp.WatchType, bp.HWBreakIndex); err == nil {
				err = werr
			}
		}()
	}
	pc, err := th.pcOnTracer()
	if err != nil {
		return err
	}
	if bp, ok := p.breakpoints.M[pc]; ok && bp.WatchType == 0 {
		if _, err := p.writeMemoryOnTracer(bp.Addr, bp.OriginalData); err != nil {
			return fmt.Errorf("lift breakpoint at %#x: %w", bp.Addr, err)
		}
		defer func() {
			if p.exited.Load() {
				return
			}
			if _, werr := p.writeMemoryOnTracer(bp.Addr, p.bi.Arch.BreakpointInstruction()); err == nil && werr != nil {
				err = fmt.Errorf("restore breakpoint at %#x: %w", bp.Addr, werr)
			}
		}()
	}
	if err := p.singleStep(th); err != nil {
		return err
	}
	return p.settleNewThreads()
}

// singleStep runs PTRACE_SINGLESTEP until the step trap comes. Signals that
// arrive meanwhile are kept for the program, except faults the instruction
// itself raised, which are delivered at once as the kernel would.
func (p *Process) singleStep(th *Thread) error {
	var sig unix.Signal
	for {
		if err := ptraceSingleStep(th.ID, sig); err != nil {
			return fmt.Errorf("single-step thread %d: %w", th.ID, err)
		}
		th.state = running
		th.invalidateRegisters()
		p.job.Resumed(th.ID)
		sig = 0
		_, ws, err := wait4(th.ID, false)
		if err != nil {
			return fmt.Errorf("wait for thread %d: %w", th.ID, err)
		}
		_, stop := p.reap(th.ID, ws)
		if stop.Gone() {
			if p.exited.Load() {
				return proc.ErrProcessExited{Pid: p.pid, Status: p.exitStatus}
			}
			return fmt.Errorf("thread %d exited while stepping", th.ID)
		}
		p.observe(th, stop)
		if p.swallowQueuedTrap(th, stop) {
			continue
		}
		switch stop.Kind {
		case listenmode.KindSingleStep, listenmode.KindBreakpoint:
			return nil
		case listenmode.KindWatchpoint:
			th.trapped = true
			return nil
		case listenmode.KindGroupStop:
			return &ErrJobStopped{Pid: p.pid, Tid: th.ID, Signal: stop.Signal}
		case listenmode.KindSignal:
			switch stop.Signal {
			case unix.SIGILL, unix.SIGBUS, unix.SIGFPE, unix.SIGSEGV, unix.SIGSTKFLT:
				sig = stop.Signal
			default:
				p.holdPending(th, stop)
			}
		}
		// Event stops (a stale interrupt, a clone) did not finish the step.
	}
}

// settleNewThreads waits for the first stop of threads the kernel attached
// while one thread stepped, so every thread is held when proc looks.
func (p *Process) settleNewThreads() error {
	for _, th := range p.threadSlice() {
		for th.state == running {
			_, ws, err := wait4(th.ID, false)
			if err != nil {
				return fmt.Errorf("wait for new thread %d: %w", th.ID, err)
			}
			if t, stop := p.reap(th.ID, ws); t != nil {
				p.observe(t, stop)
				p.holdPending(t, stop)
			} else {
				break
			}
		}
	}
	return nil
}
