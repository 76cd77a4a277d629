package backend

import (
	"fmt"
	"strings"
	"time"

	"github.com/go-delve/delve/pkg/proc"
	"github.com/go-delve/delve/pkg/proc/linutil"
	"golang.org/x/sys/unix"

	"github.com/dlv-listen/dlv-listen/listenmode"
)

// continueOnce resumes the process and waits until a thread traps, the
// process exits, a halt is requested, or (under PolicyReport) a group-stop
// begins. It follows the contract of proc.ProcessGroup.ContinueOnce.
func (p *Process) continueOnce(cctx *proc.ContinueOnceContext) (proc.Thread, proc.StopReason, error) {
	rc := runCtx{manualStop: cctx.GetManualStopRequested, resumed: func() {
		if cctx.ResumeChan != nil {
			close(cctx.ResumeChan)
			cctx.ResumeChan = nil
		}
	}}
	p.dropStaleHalt()
	trap, _, err := p.run(rc)
	if err != nil {
		if _, exited := err.(proc.ErrProcessExited); exited {
			return nil, proc.StopExited, err
		}
		return nil, proc.StopUnknown, err
	}
	return trap, proc.StopUnknown, nil
}

// dropStaleHalt forgets a halt token left from a request proc already
// honoured between two ContinueOnce calls, or from a group halt that found
// the process stopped already; a new request is caught by the manual-stop
// flag, which continueOnTracer checks. Called before the continue starts,
// so a halt sent after it is not lost.
func (p *Process) dropStaleHalt() {
	select {
	case <-p.haltc:
	default:
	}
}

// runCtx is what one process's continue needs of proc's
// ContinueOnceContext: whether a manual stop was asked for, and a way to
// say the threads run. A group of several processes gives each its own
// (group_linux.go).
type runCtx struct {
	manualStop func() bool
	resumed    func()
}

// run is continueOnce for one process of the group: it returns the thread
// to report and whether it trapped (false: it was halted), or the error
// that ended the process or the continue.
func (p *Process) run(rc runCtx) (*Thread, bool, error) {
	if ok, err := p.Valid(); !ok {
		return nil, false, err
	}
	if err := p.needStopped(); err != nil {
		return nil, false, err
	}
	var (
		trap           *Thread
		trapped        bool
		err            error
		reportHalt     bool
		releaseStarted bool
	)
	if !p.tr.do(func() {
		if p.release.started() {
			releaseStarted = true
			return
		}
		trap, trapped, reportHalt, err = p.continueOnTracer(rc)
	}) {
		releaseStarted = true // the session ended meanwhile
	}
	if releaseStarted {
		return nil, false, proc.ErrProcessDetached
	}
	if err != nil {
		return nil, false, err
	}
	if err := linutil.ElfUpdateSharedObjects(p); err != nil {
		return nil, false, err
	}
	if reportHalt && p.grp != nil {
		// A group-stop under PolicyReport, or an intercepted signal: make
		// proc end Continue with a manual stop.
		_ = p.grp.RequestManualStop()
	}
	return trap, trapped, nil
}

func (p *Process) continueOnTracer(rc runCtx) (trap *Thread, trapped, reportHalt bool, err error) {
	// Threads sitting on a breakpoint step over it first. A thread halted
	// inside a system call has nothing to step over yet: it will execute
	// the syscall instruction again and meet the breakpoint after it, as
	// it should; stepping it would block until the call returns.
	for _, th := range p.threadSlice() {
		if th.CurrentBreakpoint.Breakpoint == nil {
			continue
		}
		if bp := th.CurrentBreakpoint.Breakpoint; bp.WatchType == 0 && th.inRestartableSyscall() {
			th.CurrentBreakpoint.Clear()
			continue
		}
		if err := p.stepInstruction(th); err != nil {
			if _, stopped := err.(*ErrJobStopped); !stopped {
				return nil, false, false, err
			}
			// The step did not run: the thread joined a group-stop. It
			// keeps its breakpoint and steps over it after SIGCONT.
			continue
		}
		th.CurrentBreakpoint.Clear()
	}
	if rc.manualStop() {
		return p.readAhead(p.pickTrap(nil)), false, false, nil
	}
	for _, th := range p.threadSlice() {
		if th.state == held {
			if err := p.resume(th); err != nil {
				return nil, false, false, err
			}
		}
		if th.state != held {
			th.CurrentBreakpoint.Clear()
		}
	}
	rc.resumed()
	trap, reportHalt, err = p.waitForTrap()
	if err != nil {
		return nil, false, false, err
	}
	if err := p.stopAll(); err != nil {
		return nil, false, false, err
	}
	if err := p.settleTraps(); err != nil {
		return nil, false, false, err
	}
	p.prefetchRegisters()
	return p.readAhead(p.pickTrap(trap)), trap != nil, reportHalt, nil
}

// readAhead reads the registers of th, the thread a stop reports, before
// the stop is handed to proc, which reads them at once (the goroutine of
// the current thread): one PTRACE_GETREGS here instead of a hand-off to
// the tracer thread and back, a wake-up of each, after it (at a breakpoint
// they are read with the trap already). Tracer thread, th held.
func (p *Process) readAhead(th *Thread) *Thread {
	if th != nil && !th.unreadable() && th.cachedRegisters() == nil {
		_, _ = th.registers() // an error is proc's to meet when it reads
	}
	return th
}

// waitForTrap handles reports while the process runs. It returns the thread
// to report, or nil when halted, and whether proc must see a halt (a
// group-stop under PolicyReport, an intercepted signal). Tracer thread only.
func (p *Process) waitForTrap() (*Thread, bool, error) {
	policy := p.GroupStopPolicy()
	for {
		tid, ws, err := p.nextReport(true)
		if err == errHalted {
			return nil, false, nil
		}
		if err != nil {
			return nil, false, err
		}
		th, stop := p.reap(tid, ws)
		if p.exited.Load() {
			return nil, false, proc.ErrProcessExited{Pid: p.pid, Status: p.exitStatus}
		}
		if th == nil {
			continue
		}
		began := p.observe(th, stop)
		if p.swallowQueuedTrap(th, stop) {
			if err := p.apply(th, listenmode.Action{Op: listenmode.Cont}); err != nil {
				return nil, false, err
			}
			continue
		}
		if p.intercepted(stop) {
			// Held as a halt; the signal is the debugger's, not delivered.
			return th, true, nil
		}
		act := policy.React(stop, began)
		if act.Op == listenmode.Hold {
			p.holdPending(th, stop)
			th.trapped = stop.Kind == listenmode.KindBreakpoint || stop.Kind == listenmode.KindWatchpoint
			return th, stop.Kind == listenmode.KindGroupStop, nil
		}
		if err := p.apply(th, act); err != nil {
			return nil, false, err
		}
	}
}

// swallowQueuedTrap recognises the int3 SIGTRAP of a breakpoint hit that was
// already handled: the thread reported PTRACE_INTERRUPT's stop first, with
// PC past the int3, and was rewound then (settleTraps). The SIGTRAP is a
// synchronous signal, dequeued before any other, so the first
// signal-delivery-stop after that tells whether it was still queued.
func (p *Process) swallowQueuedTrap(th *Thread, stop listenmode.Stop) bool {
	if !th.queuedTrap || !stop.IsSignalDeliveryStop() {
		return false
	}
	th.queuedTrap = false
	return stop.Kind == listenmode.KindBreakpoint
}

// stopAll brings every thread into a ptrace-stop with PTRACE_INTERRUPT,
// which sends the program no signal. Whatever a thread reports instead is
// kept: signals to re-inject, breakpoint traps, group-stops. Until a sweep
// has found the process free of untraced threads, threads found untraced
// once the others are held are seized and stopped too (adoptStrays); after
// that, a stop only compares the kernel's thread count with the table's
// (one stat(2)) and sweeps again if they differ. Tracer thread.
func (p *Process) stopAll() error {
	defer p.settleKids()
	for {
		if err := p.interruptAll(); err != nil {
			return err
		}
		if p.strayFree && p.tableComplete() {
			return nil
		}
		added, err := p.adoptStrays()
		if err != nil {
			return err
		}
		if added == 0 {
			// Every thread is held, so none is inside clone(2), and no
			// thread the table does not know exists. From now on every
			// new thread is made by a traced one and is traced by the
			// kernel (PTRACE_O_TRACECLONE, copied to the child by
			// ptrace_init_task): no later sweep can find one.
			p.strayFree = true
			return nil
		}
	}
}

// interruptAll interrupts every thread that is not held and waits until
// all are, except the threads still in their vfork wait (interruptVforkWaiter).
// Tracer thread.
func (p *Process) interruptAll() error {
	waiting := 0
	for _, th := range p.threadSlice() {
		if th.state == held {
			continue
		}
		if th.waitsForVfork() {
			still, err := p.interruptVforkWaiter(th)
			if err != nil {
				return err
			}
			if !still {
				waiting++ // out of its wait, and interrupted
			}
			continue
		}
		waiting++
		if th.isNew && th.state == running {
			// A thread the kernel just attached stops by itself.
			continue
		}
		if err := ptraceInterrupt(th.ID); err != nil && err != unix.ESRCH {
			return fmt.Errorf("interrupt thread %d: %w", th.ID, err)
		}
	}
	if waiting == 0 {
		return nil
	}
	return p.awaitHeld()
}

// awaitHeld takes reports until every thread is held: the ones stopAll
// interrupted, and the ones the kernel attached, which stop by themselves.
// It is bounded: see reconcile and stopDeadline. Tracer thread.
func (p *Process) awaitHeld() error {
	start := time.Now()
	looked := false // for threads in an untraced vfork wait
	for {
		pending := p.notHeld()
		if len(pending) == 0 {
			return nil
		}
		// Reap the threads that have stopped already by their tid,
		// without blocking: since Linux 6.3 wait4 looks a given tid up
		// directly, while wait4(-1) scans every tracee on each call, so
		// stopping n threads cost O(n^2) in the kernel (and a
		// threadSlice per report, O(n^2) here).
		reaped := false
		for _, th := range pending {
			if th.state == held {
				continue // held by a report taken in this pass
			}
			tid, ws, err := wait4(th.ID, true)
			if err == unix.ECHILD || (err == nil && tid <= 0) {
				continue // not stopped yet (or not ours any more)
			}
			if err != nil {
				return fmt.Errorf("wait for thread %d: %w", th.ID, err)
			}
			reaped = true
			if err := p.stopReport(tid, ws); err != nil {
				return err
			}
		}
		if reaped {
			continue
		}
		// None has stopped yet: sleep until any tracee reports. This also
		// takes the first stop of threads we do not know yet and a
		// leader's exit, which waits for its other threads.
		wait := stallAfter
		if !looked {
			wait = vforkLookAfter
		}
		tid, ws, err := p.waitReport(nil, wait)
		if err == errStall && !looked {
			looked = true
			p.findVforkWaiters(pending)
			continue
		}
		if err == errStall {
			if time.Since(start) > stopDeadline {
				return p.notStoppedErr(pending)
			}
			if err := p.reconcile(pending); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return err
		}
		if err := p.stopReport(tid, ws); err != nil {
			return err
		}
	}
}

// notStoppedErr names the threads that did not stop within stopDeadline,
// with their state (a thread in uninterruptible sleep, 'D', cannot stop
// until the kernel lets it go).
func (p *Process) notStoppedErr(pending []*Thread) error {
	var names []string
	for _, th := range pending {
		if th.state == held || p.thread(th.ID) == nil {
			continue
		}
		st, err := taskState(p.pid, th.ID)
		if err != nil {
			names = append(names, fmt.Sprintf("%d (gone)", th.ID))
			continue
		}
		names = append(names, fmt.Sprintf("%d (state %c)", th.ID, st))
	}
	return fmt.Errorf("stop process %d: threads %s did not stop within %v", p.pid, strings.Join(names, ", "), stopDeadline)
}

// stopReport takes one report that came while stopping every thread: the
// thread is held and whatever it reported is kept. Tracer thread.
func (p *Process) stopReport(tid int, ws unix.WaitStatus) error {
	th, stop := p.reap(tid, ws)
	if p.exited.Load() {
		return proc.ErrProcessExited{Pid: p.pid, Status: p.exitStatus}
	}
	if th == nil {
		return nil
	}
	p.observe(th, stop)
	if p.swallowQueuedTrap(th, stop) {
		// Held in the stale SIGTRAP's delivery-stop, which resuming
		// suppresses.
		return nil
	}
	p.holdPending(th, stop)
	if stop.Kind == listenmode.KindBreakpoint || stop.Kind == listenmode.KindWatchpoint {
		th.trapped = true
	}
	return nil
}

// notHeld lists the threads that are not in a ptrace-stop we reaped.
func (p *Process) notHeld() []*Thread {
	p.threadsMu.Lock()
	defer p.threadsMu.Unlock()
	var r []*Thread
	for _, th := range p.threads {
		if th.state != held && !th.waitsForVfork() {
			r = append(r, th)
		}
	}
	return r
}

// settleTraps, with every thread held, sets the current breakpoint of each
// thread that trapped, and catches breakpoint hits the kernel has not
// reported yet: a thread that executed one of our breakpoint instructions
// but reported our PTRACE_INTERRUPT first (executedBreakpoint). Tracer
// thread.
func (p *Process) settleTraps() error {
	for _, th := range p.threadSlice() {
		if th.unreadable() {
			continue
		}
		th.unsettled = false
		if !th.trapped && !th.last.IsSignalDeliveryStop() && len(p.breakpoints.M) > 0 {
			if th.cachedRegisters() == nil && th.last.Kind != listenmode.KindGroupStop {
				// Checked on the first read of its registers, or
				// taken as a hit when it is resumed (settle_linux.go).
				th.unsettled = true
				th.checked = false
				continue
			}
			pc, err := th.pcOnTracer()
			if err != nil {
				return err
			}
			if p.executedBreakpoint(th, pc) {
				th.trapped = true
				th.queuedTrap = true
			}
		}
		th.checked = true
		if th.trapped {
			if err := th.setCurrentBreakpoint(true); err != nil {
				return err
			}
		}
	}
	return nil
}

// pickTrap returns the thread to report: the one that trapped, else one
// that took a breakpoint, else the leader.
func (p *Process) pickTrap(trap *Thread) *Thread {
	if trap != nil && p.thread(trap.ID) != nil {
		return trap
	}
	for _, th := range p.threadSlice() {
		if th.trapped {
			return th
		}
	}
	return p.leaderOrAny()
}

// threadOrLeader returns the leader, or any thread if the leader is gone,
// from the thread table alone: safe from any goroutine.
func (p *Process) threadOrLeader() *Thread {
	if th := p.thread(p.pid); th != nil {
		return th
	}
	if ths := p.threadSlice(); len(ths) > 0 {
		return ths[0]
	}
	return nil
}

// leaderOrAny returns the leader, or any thread if the leader is gone,
// passing over threads whose registers cannot be read (a vfork wait). It
// reads the threads' vfork state, which the tracer owns: tracer thread, or
// a goroutine of proc while every thread is held (threadOrLeader is for
// any goroutine).
func (p *Process) leaderOrAny() *Thread {
	if th := p.thread(p.pid); th != nil && !th.unreadable() {
		return th
	}
	ths := p.threadSlice()
	for _, th := range ths {
		if !th.unreadable() {
			return th
		}
	}
	if len(ths) > 0 {
		return ths[0]
	}
	return nil
}
