package backend

import (
	"fmt"
	"time"

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
	if err := p.needStopped(); err != nil {
		return err
	}
	th := p.thread(tid)
	if th == nil {
		return fmt.Errorf("step: no thread %d in process %d", tid, p.pid)
	}
	// A halt token left by a halt while nothing ran would stop this step;
	// a halt during the step comes after this and is honoured.
	select {
	case <-p.haltc:
	default:
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
	bp, atBreakpoint := p.breakpoints.M[pc]
	atBreakpoint = atBreakpoint && bp.WatchType == 0
	if atBreakpoint {
		if done, err := p.emulateStepOver(th, bp); done || err != nil {
			return err
		}
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
	step := p.singleStep
	// The breakpoint kept the instruction's first byte: most step-overs
	// need no read to know it is not a SYSCALL.
	if (!atBreakpoint || bp.OriginalData[0] == syscallInstruction[0]) && p.isSyscallInstruction(pc) {
		step = p.stepSyscall
	}
	if err := step(th); err != nil {
		return err
	}
	return p.settleNewThreads()
}

// isSyscallInstruction reports whether the instruction at pc (original
// text, breakpoints lifted) enters the kernel.
func (p *Process) isSyscallInstruction(pc uint64) bool {
	buf := make([]byte, len(syscallInstruction))
	if _, err := p.readMemory(buf, pc); err != nil {
		return false
	}
	return string(buf) == string(syscallInstruction)
}

// stepSyscall steps over a syscall instruction with PTRACE_SYSCALL: the
// thread stops at syscall entry, already past the instruction, before the
// call can block. Single-stepping instead would wait for the call to
// return, and a futex wait that only another (stopped) thread can end
// never returns: a deadlock. Resumed later with PTRACE_CONT, the thread
// performs the call while the others run.
func (p *Process) stepSyscall(th *Thread) error {
	for {
		stop, halted, err := p.stepOnce(th, unix.PTRACE_SYSCALL, 0)
		if err != nil {
			return err
		}
		switch stop.Kind {
		case listenmode.KindSyscall:
			return nil
		case listenmode.KindGroupStop:
			return &ErrJobStopped{Pid: p.pid, Tid: th.ID, Signal: stop.Signal}
		case listenmode.KindSignal:
			p.holdPending(th, *stop)
		}
		if halted && stop.Kind != listenmode.KindEventStop {
			return fmt.Errorf("step of thread %d halted before its system call", th.ID)
		}
		// Our interrupt came before the thread reached the syscall
		// instruction: stepping on cannot block (it stops at syscall
		// entry).
	}
}

// singleStep runs PTRACE_SINGLESTEP until the step trap comes. Signals that
// arrive meanwhile are kept for the program, except faults the instruction
// itself raised, which are delivered at once as the kernel would.
func (p *Process) singleStep(th *Thread) error {
	from, err := th.pcOnTracer()
	if err != nil {
		return err
	}
	var sig unix.Signal
	for {
		stop, halted, err := p.stepOnce(th, unix.PTRACE_SINGLESTEP, sig)
		if err != nil {
			return err
		}
		sig = 0
		if halted && !stepFinished(stop.Kind) {
			if stop.Kind == listenmode.KindEventStop && p.stepGoesOn(th, from) {
				continue
			}
			p.holdPending(th, *stop)
			return fmt.Errorf("step of thread %d halted: it did not finish its instruction (blocked in a system call?)", th.ID)
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
				p.holdPending(th, *stop)
			}
		}
		// Event stops (a stale interrupt, a clone) did not finish the step.
	}
}

// stepGoesOn tells, when our interrupt (a halt) stopped th during a single
// step from pc from, whether stepping again finishes the step at once:
//   - the instruction was executed and its step trap waits behind the
//     interrupt (get_signal reports a ptrace interrupt before it dequeues
//     signals); resumed, the thread takes that SIGTRAP, synchronous and so
//     dequeued first, before it executes anything;
//   - or the interrupt came before the thread executed anything (it was
//     still in the kernel, leaving its previous stop), and the instruction
//     is not one that can block.
func (p *Process) stepGoesOn(th *Thread, from uint64) bool {
	if trapPending(p.pid, th.ID) {
		return true
	}
	pc, err := th.pcOnTracer()
	return err == nil && pc == from && !p.isSyscallInstruction(pc)
}

// stepFinished tells whether a stop during PTRACE_SINGLESTEP ends the step:
// the step trap, or a breakpoint or watchpoint the instruction hit.
func stepFinished(k listenmode.Kind) bool {
	return k == listenmode.KindSingleStep || k == listenmode.KindBreakpoint || k == listenmode.KindWatchpoint
}

// stepOnce resumes th with the stepping request req (PTRACE_SINGLESTEP or
// PTRACE_SYSCALL) delivering sig, and takes its next report, stepping again
// past our own queued SIGTRAP; halted says a halt request interrupted the
// wait.
func (p *Process) stepOnce(th *Thread, req int, sig unix.Signal) (*listenmode.Stop, bool, error) {
	if err := p.syncOptions(th); err != nil {
		return nil, false, err
	}
	if err := ptrace(req, th.ID, 0, uintptr(sig)); err != nil {
		return nil, false, fmt.Errorf("step thread %d: %w", th.ID, err)
	}
	th.state = running
	th.invalidateRegisters()
	p.job.Resumed(th.ID)
	ws, halted, err := p.waitThread(th)
	if err != nil {
		return nil, halted, err
	}
	_, stop := p.reap(th.ID, ws)
	if stop.Gone() {
		if p.exited.Load() {
			return nil, halted, proc.ErrProcessExited{Pid: p.pid, Status: p.exitStatus}
		}
		return nil, halted, fmt.Errorf("thread %d exited while stepping", th.ID)
	}
	p.observe(th, stop)
	if p.swallowQueuedTrap(th, stop) {
		if halted {
			return &stop, true, nil
		}
		return p.stepOnce(th, req, 0)
	}
	return &stop, halted, nil
}

// waitThread waits for the next report of th. A halt request meanwhile
// interrupts it (PTRACE_INTERRUPT also ends a blocking system call, to be
// restarted later), so a step that cannot finish does not hang the
// debugger; halted says so. Tracer thread.
func (p *Process) waitThread(th *Thread) (unix.WaitStatus, bool, error) {
	// Most waits here are for one instruction: yield the CPU to the thread
	// a few times before sleeping, which saves the SIGCHLD hand-off (the
	// signal, Go's handler on another thread, the channel, the wake of
	// this locked thread) on the common path.
	for i := 0; i < stepSpins; i++ {
		_, _, _ = unix.RawSyscall(unix.SYS_SCHED_YIELD, 0, 0, 0)
		if tid, ws, err := wait4(th.ID, true); err != nil || tid > 0 {
			if err != nil {
				return 0, false, fmt.Errorf("wait for thread %d: %w", th.ID, err)
			}
			return ws, false, nil
		}
	}
	halted := false
	stall := time.NewTicker(stallAfter)
	defer stall.Stop()
	defer wantSigchld()()
	for {
		p.tr.drainSigchld()
		tid, ws, err := wait4(th.ID, true)
		if err != nil {
			return 0, halted, fmt.Errorf("wait for thread %d: %w", th.ID, err)
		}
		if tid > 0 {
			return ws, halted, nil
		}
		select {
		case <-p.tr.sigchld:
		case <-stall.C:
			// A step may wait long (a system call stepped over blocks
			// until it returns; a halt ends it), but a thread that is
			// gone, or in a ptrace-stop whose report was lost, is found.
			ws, found, err := p.overdue(th)
			if err != nil || found {
				return ws, halted, err
			}
		case <-p.haltc:
			if !halted {
				halted = true
				if err := ptraceInterrupt(th.ID); err != nil && err != unix.ESRCH {
					return 0, halted, fmt.Errorf("interrupt thread %d: %w", th.ID, err)
				}
			}
		}
	}
}

// stepSpins is how many times waitThread yields and looks before it
// sleeps: a single step takes a few microseconds of the thread's time.
var stepSpins = 8

// settleNewThreads waits for the first stop of threads the kernel attached
// while one thread stepped, so every thread is held when proc looks.
func (p *Process) settleNewThreads() error { return p.awaitHeld() }
