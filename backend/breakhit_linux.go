package backend

// executedBreakpoint reports whether th, held in a stop that is not the
// delivery of its breakpoint SIGTRAP, executed one of our breakpoint
// instructions just before: the trap's SIGTRAP then waits in its queue.
//
// On amd64 int3 leaves pc past itself, so pc-1 on a breakpoint says so. On
// arm64 BRK leaves pc on itself (the kernel does not advance it,
// BreakInstrMovesPC is false), so pc on a breakpoint is also where a thread
// that has not executed it yet stands; the SIGTRAP pending in the thread's
// own queue (SigPnd) tells the two apart. Tracer thread, th held.
func (p *Process) executedBreakpoint(th *Thread, pc uint64) bool {
	if p.bi.Arch.BreakInstrMovesPC() {
		_, ok := p.breakpoints.M[pc-uint64(p.bi.Arch.BreakpointSize())]
		return ok
	}
	bp, ok := p.breakpoints.M[pc]
	return ok && bp.WatchType == 0 && trapPending(p.pid, th.ID)
}
