package backend

import (
	"fmt"
	"strconv"
	"time"

	"github.com/go-delve/delve/pkg/proc"
	"golang.org/x/sys/unix"

	"github.com/dlv-listen/dlv-listen/listenmode"
)

// detachOrKill lets the process go (kill false) or ends it.
func (p *Process) detachOrKill(kill bool) error {
	// Not Valid: a release in progress must still get here.
	if p.detached.Load() || p.exited.Load() {
		return nil
	}
	// The tracer thread serves a free-running program until this returns;
	// whatever it failed to stop, detach or kill stops again below.
	_ = p.stopFreeRun()
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
	// If some thread cannot be stopped (stopAll is bounded), the
	// breakpoints still come out (memory is written through
	// /proc/PID/mem, which needs no stopped thread) and the stopped
	// threads are let go; the error names the others.
	errStop := p.stopAll()
	if _, gone := errStop.(proc.ErrProcessExited); gone {
		return nil
	}
	// Before the breakpoints go (settle_linux.go). A thread that cannot
	// be read stays unchecked: drainQueuedTraps reads its queue.
	_ = p.settleAll()
	errBP := p.removeAllBreakpoints()
	if errStop == nil {
		if err := p.drainQueuedTraps(); err != nil {
			if _, gone := err.(proc.ErrProcessExited); gone {
				return nil
			}
			return err
		}
	}
	firstErr := errStop
	for _, th := range p.threadSlice() {
		if th.state != held {
			continue
		}
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
	// The breakpoints are out of the memory vfork children share; they
	// are let go, then the threads that waited for them.
	p.releaseVforkWaiters(p.releaseKids())
	if errBP != nil {
		return errBP
	}
	return firstErr
}

// drainQueuedTraps takes out of every thread's signal queue the SIGTRAP of a
// breakpoint or watchpoint it hit just before it reported our
// PTRACE_INTERRUPT: left there, the untraced program would receive it and
// die of it. Such a thread is resumed: the kernel dequeues a synchronous
// signal before anything else and stops it at the delivery, before it runs
// an instruction; the trap is then suppressed (a SIGTRAP somebody sent is
// kept for the program). A group-stopped thread cannot be resumed without
// running it, so its queue is left as it is. The queue is read from /proc
// only for the threads where such a trap may wait: one whose last stop
// settleTraps did not look at, one it found with a queued int3 trap
// (queuedTrap), and every thread once watchpoints were used. Tracer
// thread, every thread held.
func (p *Process) drainQueuedTraps() error {
	for _, th := range p.threadSlice() {
		if th.waitsForVfork() {
			continue
		}
		if th.checked && !th.queuedTrap && !p.usedWatchpoints {
			// settleTraps looked at this stop: no int3's SIGTRAP waits.
			// (A watchpoint's trap is not looked for there.) This
			// saves a /proc read per thread: most of a detach of many
			// threads.
			continue
		}
		for tries := 0; tries < 4 && th.last.Kind != listenmode.KindGroupStop && trapPending(p.pid, th.ID); tries++ {
			if err := p.resume(th); err != nil {
				return err
			}
			ws, _, err := p.waitThread(th)
			if err != nil {
				return err
			}
			t, stop := p.reap(th.ID, ws)
			if t == nil {
				if p.exited.Load() {
					return proc.ErrProcessExited{Pid: p.pid, Status: p.exitStatus}
				}
				break
			}
			p.observe(t, stop)
			p.holdPending(t, stop) // keeps only a signal the program is owed
		}
	}
	return nil
}

// trapPending reports whether SIGTRAP waits in thread tid's own queue
// (SigPnd of /proc/PID/task/TID/status).
func trapPending(pid, tid int) bool {
	v := readStatus(fmt.Sprintf("/proc/%d/task/%d/status", pid, tid))["SigPnd"]
	mask, err := strconv.ParseUint(v, 16, 64)
	return err == nil && mask&(1<<(uint(unix.SIGTRAP)-1)) != 0
}

// removeAllBreakpoints puts back the original text under every software
// breakpoint still planted and clears every watchpoint, so no trap is left
// in a process we let go of (an int3 there would kill it with SIGTRAP).
// Tracer thread.
func (p *Process) removeAllBreakpoints() error {
	p.plantMu.Lock()
	defer p.plantMu.Unlock()
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
		p.forgetPlanted(addr)
	}
	return firstErr
}

// killOnTracer ends the process with SIGKILL and reaps every thread.
func (p *Process) killOnTracer() error {
	if err := unix.Kill(p.pid, unix.SIGKILL); err != nil && err != unix.ESRCH {
		return fmt.Errorf("kill process %d: %w", p.pid, err)
	}
	// SIGKILL ends every thread, even a stopped or listening one; the
	// wait is bounded all the same.
	deadline := time.Now().Add(stopDeadline)
	for !p.exited.Load() {
		tid, ws, err := p.waitReport(nil, stallAfter)
		if err == errStall {
			if time.Now().After(deadline) {
				return fmt.Errorf("kill process %d: its threads did not all exit within %v", p.pid, stopDeadline)
			}
			continue
		}
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
