package backend

import (
	"fmt"

	"github.com/go-delve/delve/pkg/proc"
	"golang.org/x/sys/unix"
)

// detachOrKill lets the process go (kill false) or ends it.
func (p *Process) detachOrKill(kill bool) error {
	// Not Valid: a release in progress must still get here.
	if p.detached.Load() || p.exited.Load() {
		return nil
	}
	var err error
	if kill {
		p.tr.do(func() { err = p.killOnTracer() })
		return err
	}
	p.tr.do(func() { err = p.detachOnTracer() })
	if p.detached.Swap(true) {
		return err
	}
	if !p.exited.Load() {
		p.finish()
	}
	return err
}

// detachOnTracer removes every breakpoint and detaches every thread, giving
// back the signals the program has yet to receive. The job-control state is
// left as it is: PTRACE_DETACH of a group-stopped thread leaves it stopped
// (ptrace_unlink re-arms JOBCTL_STOP_PENDING), and a running process was
// only ever halted by PTRACE_INTERRUPT, whose pending trap detach clears.
// Tracer thread.
func (p *Process) detachOnTracer() error {
	if p.exited.Load() {
		return nil
	}
	// Only a thread in a ptrace-stop can be detached; a listening one is
	// not (ptrace_check_attach refuses JOBCTL_LISTENING), so stop them all.
	if err := p.stopAll(); err != nil {
		if _, gone := err.(proc.ErrProcessExited); gone {
			return nil
		}
		return err
	}
	errBP := p.removeAllBreakpoints()
	var firstErr error
	for _, th := range p.threadSlice() {
		var sig unix.Signal
		requeue := th.pending
		if len(requeue) > 0 && th.last.IsSignalDeliveryStop() {
			sig, requeue = requeue[0], requeue[1:]
		}
		if err := ptraceDetach(th.ID, sig); err != nil && err != unix.ESRCH && firstErr == nil {
			firstErr = fmt.Errorf("detach thread %d: %w", th.ID, err)
		}
		for _, s := range requeue {
			_ = unix.Tgkill(p.pid, th.ID, s)
		}
		th.pending = nil
	}
	if errBP != nil {
		return errBP
	}
	return firstErr
}

// removeAllBreakpoints puts back the original text under every software
// breakpoint still planted and clears every watchpoint, so no trap is left
// in a process we let go of (an int3 there would kill it with SIGTRAP).
// Tracer thread.
func (p *Process) removeAllBreakpoints() error {
	var firstErr error
	for addr, bp := range p.planted {
		if bp.WatchType != 0 {
			for _, th := range p.threadSlice() {
				if err := th.clearHardwareBreakpoint(bp.Addr, bp.WatchType, bp.HWBreakIndex); err != nil && firstErr == nil {
					firstErr = err
				}
			}
		} else if len(bp.OriginalData) > 0 {
			if _, err := p.writeMemoryOnTracer(addr, bp.OriginalData); err != nil && firstErr == nil {
				firstErr = fmt.Errorf("remove breakpoint at %#x: %w", addr, err)
			}
		}
		delete(p.planted, addr)
	}
	return firstErr
}

// killOnTracer ends the process with SIGKILL and reaps every thread.
func (p *Process) killOnTracer() error {
	if err := unix.Kill(p.pid, unix.SIGKILL); err != nil && err != unix.ESRCH {
		return fmt.Errorf("kill process %d: %w", p.pid, err)
	}
	for !p.exited.Load() {
		tid, ws, err := p.nextReport(false)
		if err != nil {
			if _, gone := err.(proc.ErrProcessExited); gone {
				return nil
			}
			return err
		}
		p.reap(tid, ws)
	}
	return nil
}
