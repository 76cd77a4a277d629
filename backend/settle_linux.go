package backend

// Breakpoint hits a stop caught in flight, checked when they matter.
//
// A thread that executed one of our int3s just before our
// PTRACE_INTERRUPT reached it reports the interrupt first, with its
// SIGTRAP still queued: get_signal handles a pending ptrace trap before it
// dequeues any signal (kernel/signal.c). settleTraps used to read every
// thread's registers at every stop to find such a thread, one
// PTRACE_GETREGS each: a seventh of a halt of 200 threads, for a race
// that is rare. Now a thread whose registers nobody has read yet at the
// stop is left unsettled, and the check is made on the first read of its
// registers, which a front end that shows threads makes anyway, in one
// hand-off for all (Thread.Registers):
//
//   - found then, the hit is not reported at this stop (proc has looked
//     at it already): the thread is put back on the breakpoint and its
//     queued SIGTRAP is swallowed when it is resumed (queuedTrap), so it
//     executes the breakpoint again and the hit is reported then, as any
//     other;
//   - never read: when the thread is resumed, its queued SIGTRAP is the
//     first thing it reports (a synchronous signal is dequeued first), at
//     the breakpoint's address, and it is taken as the hit it is. For
//     that the breakpoint must still be there: before one is erased,
//     every unsettled thread is settled (EraseBreakpoint), and a detach
//     settles them before it takes the breakpoints out.
//
// A thread in a group-stop is settled at once: idle parking, which runs
// outside requests, must not be left to read registers.

// settleLate makes the check settleTraps left to th's first register
// read (now, the registers are cached). Tracer thread, th held.
func (p *Process) settleLate(th *Thread) error {
	th.checked = true
	r := th.cachedRegisters()
	if r == nil || len(p.breakpoints.M) == 0 {
		return nil
	}
	pc := r.PC()
	if !p.executedBreakpoint(th, pc) {
		return nil
	}
	if p.bi.Arch.BreakInstrMovesPC() {
		if err := th.setPC(pc - uint64(p.bi.Arch.BreakpointSize())); err != nil {
			return err
		}
	}
	th.queuedTrap = true
	p.lateTraps++
	return nil
}

// settleAll settles every held thread whose stop is unsettled. Tracer
// thread.
func (p *Process) settleAll() error {
	for _, th := range p.threadSlice() {
		if th.unsettled && th.state == held {
			if _, err := th.registers(); err != nil {
				return err
			}
		}
	}
	return nil
}

// anyUnsettled reports whether some thread's stop is unsettled. proc's
// goroutine, between requests (the tracer's writes happen before the
// request that made them returns), or the tracer thread.
func (p *Process) anyUnsettled() bool {
	for _, th := range p.threadSlice() {
		if th.unsettled {
			return true
		}
	}
	return false
}
