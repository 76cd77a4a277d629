package backend

import (
	"fmt"

	"github.com/go-delve/delve/pkg/dwarf/op"
	"github.com/go-delve/delve/pkg/proc"
	"golang.org/x/sys/unix"

	"github.com/dlv-listen/dlv-listen/listenmode"
)

// threadState is what the backend last did with a thread.
type threadState uint8

const (
	// held: in a ptrace-stop we have reaped; registers can be read.
	held threadState = iota
	// running: resumed with PTRACE_CONT (or just created by the kernel
	// and not yet reported its first stop).
	running
	// listening: parked in group-stop with PTRACE_LISTEN.
	listening
)

// Thread is one thread of the debugged process.
type Thread struct {
	ID int
	p  *Process

	state threadState
	// last is the stop the thread is held in (meaningful while held).
	last listenmode.Stop
	// pending is a signal the program has yet to receive on this thread:
	// re-injected on resume, never dropped.
	pending []unix.Signal
	// trapped: the thread took a breakpoint or watchpoint trap during the
	// last resume (proc's SoftExc).
	trapped bool
	// queuedTrap: the thread executed an int3 but reported our
	// PTRACE_INTERRUPT first; its SIGTRAP is still queued and is swallowed
	// when it arrives.
	queuedTrap bool
	// isNew: seized or auto-attached, first stop not reaped yet.
	isNew bool
	// spawned: the kernel attached it when a traced thread created it
	// (PTRACE_O_TRACECLONE), rather than we seizing it.
	spawned bool
	// announced: its creator's PTRACE_EVENT_CLONE report has been reaped.
	announced bool
	// checked: since its last stop, whether it executed one of our
	// breakpoint instructions just before that stop (its SIGTRAP still
	// queued: queuedTrap) has been looked at (settleTraps,
	// rerunHeldTraps), so detach need not read its pending signals.
	checked bool
	// unsettled: settleTraps left this stop's check for a breakpoint
	// executed just before it to the first read of the registers, which
	// it needs (settle_linux.go). Tracer thread.
	unsettled bool
	// prefetched: its registers were read with every thread's
	// (readAllRegisters), not at its own request: at the stop for a front
	// end that reads them all (prefetchRegisters), or with a second
	// thread's. Written on the tracer thread while proc waits, like the
	// cache.
	prefetched bool
	// parked: listening while the debugger is idle (idle_linux.go); it
	// has not run since it was held, so its registers are unchanged.
	parked bool
	// vfork: the child it waits for, from PTRACE_EVENT_VFORK to its next
	// report or to a stop that finds the wait over (fork_linux.go).
	vfork vforkWait
	// opts are the ptrace options it was last given, 0 if unknown (one
	// the kernel attached has its creator's): see syncOptions. Tracer
	// thread.
	opts int

	regs arch // register cache, valid while held

	CurrentBreakpoint proc.BreakpointState
	common            proc.CommonThread
}

func (th *Thread) ThreadID() int                        { return th.ID }
func (th *Thread) Breakpoint() *proc.BreakpointState    { return &th.CurrentBreakpoint }
func (th *Thread) BinInfo() *proc.BinaryInfo            { return th.p.bi }
func (th *Thread) ProcessMemory() proc.MemoryReadWriter { return th.p.Memory() }
func (th *Thread) Common() *proc.CommonThread           { return &th.common }
func (th *Thread) SoftExc() bool                        { return th.trapped }

// Registers returns the thread's registers, read once per stop.
func (th *Thread) Registers() (proc.Registers, error) {
	if ok, err := th.p.Valid(); !ok {
		return nil, err
	}
	if th.p.free.on.Load() {
		if th.p.free.declineRegs.Load() {
			return nil, errRunningFree
		}
		if err := th.p.needStopped(); err != nil {
			return nil, err
		}
	}
	// The cache is only written on the tracer thread while proc waits for
	// it, so reading it here needs no hop.
	if r := th.cachedRegisters(); r != nil {
		if th.prefetched {
			th.p.wantAllRegs.Store(true) // see prefetchRegisters
		}
		return r, nil
	}
	if th.unreadable() {
		var err error
		th.p.tr.do(func() { err = th.p.takeWaitEnd(th) })
		if err != nil {
			return nil, err
		}
		if th.unreadable() {
			return nil, th.errUnreadable()
		}
	}
	var r proc.Registers
	var err error
	th.p.tr.do(func() {
		r, err = th.registers()
		// proc reads the current thread's registers at every stop (at a
		// breakpoint they are read with the trap, so proc's read is no
		// hand-off); a front end that wants a second thread's mostly
		// wants them all (the threads of a state, goroutines): read the
		// rest in this hand-off. A thread that cannot be read here
		// answers for itself when asked.
		if th.p.otherRegistersCached(th) {
			th.p.readAllRegisters()
			th.p.wantAllRegs.Store(true)
		}
	})
	return r, err
}

// otherRegistersCached reports whether a held thread other than th has its
// registers read since the stop. Tracer thread.
func (p *Process) otherRegistersCached(th *Thread) bool {
	for _, o := range p.threadSlice() {
		if o != th && o.state == held && o.cachedRegisters() != nil {
			return true
		}
	}
	return false
}

// readAllRegisters reads the registers of every held thread not read since
// the stop, settling the unsettled ones (registers), and marks them
// prefetched. Each is a PTRACE_GETREGS of about 3 us on the tracer thread;
// read one at a time from proc's goroutine, each is a hand-off to the
// tracer and back, 30 to 50 us on a loaded 2-CPU machine. Tracer thread.
func (p *Process) readAllRegisters() {
	for _, th := range p.threadSlice() {
		if th.state == held && !th.unreadable() && th.cachedRegisters() == nil {
			if _, err := th.registers(); err == nil {
				th.prefetched = true
			}
		}
	}
}

// prefetchRegisters, at a stop, reads every thread's registers if a front
// end read a second thread's after the stop before (wantAllRegs): one that
// lists the threads at every stop (each state of Delve's API and every
// stop of the DAP server tell each thread's location) then finds them read
// and makes no hand-off to the tracer for them. It is the read that
// front end would have made in its first hand-off (the same settle of
// each thread, registers), made before proc's goroutine is given the stop
// instead of after. Internal stops that proc continues from (a condition
// that does not hold, a step) read no second thread: the first of them
// clears wantAllRegs, so a program stopped by them costs one read of each
// thread per command at most; proc alone (no front end) never asks. A
// thread read here is marked, so that a read of it keeps the prefetch on.
// Tracer thread, every thread held.
func (p *Process) prefetchRegisters() {
	if p.wantAllRegs.Swap(false) {
		p.readAllRegisters()
	}
}

// SetReg changes one register; proc uses it for PC, SP, the link and
// closure context registers and floating point when it injects a call.
func (th *Thread) SetReg(regNum uint64, reg *op.DwarfRegister) error {
	if err := th.p.needStopped(); err != nil {
		return err
	}
	var err error
	th.p.tr.do(func() { err = th.setReg(regNum, reg) })
	return err
}

func (th *Thread) RestoreRegisters(saved proc.Registers) error {
	if err := th.p.needStopped(); err != nil {
		return err
	}
	var err error
	th.p.tr.do(func() { err = th.restoreRegisters(saved) })
	return err
}

// PC is the thread's program counter.
func (th *Thread) PC() (uint64, error) {
	regs, err := th.Registers()
	if err != nil {
		return 0, err
	}
	return regs.PC(), nil
}

// SetCurrentBreakpoint records the breakpoint the thread is stopped at;
// with adjustPC, a thread past an int3 we planted is rewound onto it.
func (th *Thread) SetCurrentBreakpoint(adjustPC bool) error {
	if err := th.p.needStopped(); err != nil {
		return err
	}
	var err error
	th.p.tr.do(func() { err = th.setCurrentBreakpoint(adjustPC) })
	return err
}

func (th *Thread) setCurrentBreakpoint(adjustPC bool) error {
	th.CurrentBreakpoint.Clear()
	var bp *proc.Breakpoint
	if th.p.breakpoints.HasHWBreakpoints() {
		var err error
		if bp, err = th.findHardwareBreakpoint(); err != nil {
			return err
		}
	}
	if bp == nil {
		regs, err := th.registers()
		if err != nil {
			return err
		}
		pc := regs.PC()
		adjustPC = adjustPC && th.p.bi.Arch.BreakInstrMovesPC()
		var ok bool
		if bp, ok = th.p.findBreakpoint(pc, adjustPC); ok && adjustPC && bp.Addr != pc {
			if err := th.setPC(bp.Addr); err != nil {
				return err
			}
		}
	}
	th.CurrentBreakpoint.Breakpoint = bp
	return nil
}

func (th *Thread) String() string { return fmt.Sprintf("thread %d", th.ID) }

// The register cache: each architecture's regs_linux_*.go defines the
// cache type (arch) and fills it in registers(); these work on any.

// cachedRegisters returns the cache, or nil (never a typed nil).
func (th *Thread) cachedRegisters() proc.Registers {
	if c := th.regs.cached; c != nil {
		return c
	}
	return nil
}

// registers returns the thread's registers, read on the first use after a
// stop (readRegisters), and makes the check settleTraps left to this
// read (settleLate). Tracer thread only.
func (th *Thread) registers() (proc.Registers, error) {
	if r := th.regs.cached; r != nil {
		return r, nil
	}
	r, err := th.readRegisters()
	if err != nil || !th.unsettled {
		return r, err
	}
	th.unsettled = false
	if err := th.p.settleLate(th); err != nil {
		return nil, err
	}
	return th.registers()
}

// invalidateRegisters forgets the cache: the thread is about to run.
func (th *Thread) invalidateRegisters() {
	th.regs.cached = nil
	th.prefetched = false
}

func (th *Thread) pcOnTracer() (uint64, error) {
	regs, err := th.registers()
	if err != nil {
		return 0, err
	}
	return regs.PC(), nil
}
