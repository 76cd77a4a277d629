package backend

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/go-delve/delve/pkg/proc"
	"golang.org/x/sys/unix"

	"github.com/dlv-listen/dlv-listen/listenmode"
)

// ptraceOptions are set in every PTRACE_SEIZE: follow new threads, and
// mark syscall-stops (SIGTRAP|0x80) so the one PTRACE_SYSCALL we use (to step
// over a syscall instruction) is told apart from a SIGTRAP. New processes
// (fork/vfork) are attached too, only to take our breakpoints out of them
// and let them go (fork_linux.go); vfork children only while they could
// run into one (forkopts_linux.go). The end of a vfork parent's wait is not
// reported (no TRACEVFORKDONE): a stop learns it (interruptVforkWaiter).
// The debuggee's own exec is reported (selfExec): its program is gone.
const ptraceOptions = unix.PTRACE_O_TRACECLONE | unix.PTRACE_O_TRACESYSGOOD |
	unix.PTRACE_O_TRACEFORK | unix.PTRACE_O_TRACEVFORK | unix.PTRACE_O_TRACEEXEC

// Process is one debugged process. Its methods are called by proc from one
// goroutine at a time, except RequestManualStop, Subscribe, JobState and
// SetGroupStopPolicy, which are safe from any goroutine.
type Process struct {
	// ProcessInternal is only reached for SetUProbe and
	// GetBufferedTracepoints, whose types live in Delve's internal ebpf
	// package; see bpfstub.go. Every other method is defined on Process.
	proc.ProcessInternal

	pid int
	bi  *proc.BinaryInfo
	// exe is the program of a followed child made a target, whose debug
	// information may serve the next child of it when it ends (set once
	// it is made a target, before it runs; read when it exits).
	exe         *exeID
	breakpoints proc.BreakpointMap
	// planted mirrors what WriteBreakpoint put into the program, for
	// detach and Release: proc's BreakpointMap belongs to the goroutine
	// running proc, and Release may run while proc iterates it. Changed
	// on the tracer thread only, in the same request as the memory.
	planted map[uint64]*proc.Breakpoint
	// vforkRisk counts the planted breakpoints a vfork child could die of
	// (endangersVforkChild): while there are none, vfork children are not
	// traced (forkopts_linux.go). Changed under plantMu.
	vforkRisk atomic.Int32
	// plantMu guards planted and kids.text, and makes the memory store
	// and its record one step: a software breakpoint is written from
	// proc's goroutine when the kernel allows it (plantDirect), and
	// Release may take them out from another meanwhile.
	plantMu      sync.Mutex
	childProcess bool // launched by us, not attached

	tr  *tracer
	mem *os.File // /proc/PID/mem, for writes (and reads process_vm_readv refuses)

	// threadsMu guards threads: the tracer thread changes the map inside
	// ContinueOnce while other goroutines may list it.
	threadsMu sync.Mutex
	threads   map[int]*Thread
	memthread *Thread
	// strayFree: a sweep with every thread held found no untraced thread
	// (stopAll), or the process was traced from its exec (Launch), so
	// none can appear any more: stops skip the sweep. Tracer thread only.
	strayFree bool
	// usedWatchpoints: a hardware watchpoint was written in this session,
	// so a thread may hold a queued watchpoint trap that settleTraps does
	// not look for (drainQueuedTraps). Tracer thread only.
	usedWatchpoints bool
	// emulatedStepOvers counts breakpoints stepped over without running
	// the thread (emulateStepOver). Tracer thread only.
	emulatedStepOvers int
	// kidsTraced counts the processes the debuggee created that the
	// kernel attached to us (their first stop). Tracer thread only.
	kidsTraced int
	// lateTraps counts breakpoint hits in flight found by a late settle
	// (settleLate). Tracer thread only.
	lateTraps int
	// wantAllRegs: since the last stop a front end read the registers
	// of a second thread, so the next stop reads them all
	// (prefetchRegisters). Set from proc's goroutine too.
	wantAllRegs atomic.Bool
	taskDir     string // /proc/PID/task, once known (tableComplete)
	// vanished holds threads the kernel attached that exited before
	// their creator's PTRACE_EVENT_CLONE report was reaped (see reap).
	// Tracer thread only.
	vanished map[int]struct{}
	// kids are the processes the debuggee creates (fork_linux.go).
	kids kids
	// repairs records what reconcile had to correct (see Repairs).
	repairsMu sync.Mutex
	repairs   []string

	// job is the job-control model; touched on the tracer thread only,
	// published to other goroutines through jobState.
	job      *listenmode.Tracker
	jobState atomic.Uint32 // listenmode.State<<8 | stop signal
	policy   atomic.Uint32 // listenmode.Policy
	// intercept is the set of signals InterceptSignals takes (bit n = signal n).
	intercept atomic.Uint64
	subs      subscribers

	// haltc carries halt requests to a tracer waiting in ContinueOnce.
	haltc chan struct{}
	grp   *proc.TargetGroup
	// g is the session's group of processes (targets_linux.go).
	g *group
	// cmd is the command line of a child handed over after exec.
	cmd string
	// successor took over the pid when the program exec'd another
	// (selfExec).
	successor atomic.Pointer[Process]

	// free is the phase after attach in which the program runs while
	// Delve loads its debug information (freerun_linux.go).
	free freeRun

	exited, detached atomic.Bool
	finishOnce       sync.Once
	exitStatus       int
	release          releaser
}

var (
	_ proc.ProcessGroup    = (*group)(nil)
	_ proc.ProcessInternal = (*Process)(nil)
	_ proc.Thread          = (*Thread)(nil)
)

func newProcess(pid int) *Process { return newProcessIn(pid, nil) }

// newProcessIn makes a process that joins group g (a new group if nil),
// before its tracer runs.
func newProcessIn(pid int, g *group) *Process {
	p := &Process{
		pid:         pid,
		bi:          proc.NewBinaryInfo(runtime.GOOS, runtime.GOARCH, true),
		breakpoints: proc.NewBreakpointMap(),
		planted:     make(map[uint64]*proc.Breakpoint),
		threads:     make(map[int]*Thread),
		vanished:    make(map[int]struct{}),
		job:         listenmode.NewTracker(pid),
		haltc:       make(chan struct{}, 1),
	}
	p.ProcessInternal = bpfUnsupported
	if g == nil {
		newGroup(p)
	} else {
		p.g, p.grp = g, g.processes()[0].grp
	}
	p.tr = newTracer(p)
	return p
}

// Of returns the backend process of a target group built by this package.
func Of(grp *proc.TargetGroup) (*Process, bool) {
	if grp == nil || grp.Selected == nil {
		return nil, false
	}
	p, ok := grp.Selected.Process.(*Process)
	return p, ok
}

// Pid is the debugged process's id.
func (p *Process) Pid() int { return p.pid }

func (p *Process) BinInfo() *proc.BinaryInfo { return p.bi }

// EntryPoint reads the entry point from the auxiliary vector, as native
// does, so position-independent executables are relocated right.
func (p *Process) EntryPoint() (uint64, error) {
	return entryPoint(p.pid, p.bi.Arch.PtrSize())
}

func (p *Process) FindThread(tid int) (proc.Thread, bool) {
	p.threadsMu.Lock()
	defer p.threadsMu.Unlock()
	th, ok := p.threads[tid]
	if !ok {
		return nil, false
	}
	return th, true
}

func (p *Process) ThreadList() []proc.Thread {
	p.threadsMu.Lock()
	defer p.threadsMu.Unlock()
	r := make([]proc.Thread, 0, len(p.threads))
	for _, th := range p.threads {
		r = append(r, th)
	}
	return r
}

// threadSlice is ThreadList for the backend's own use.
func (p *Process) threadSlice() []*Thread {
	p.threadsMu.Lock()
	defer p.threadsMu.Unlock()
	r := make([]*Thread, 0, len(p.threads))
	for _, th := range p.threads {
		r = append(r, th)
	}
	return r
}

func (p *Process) thread(tid int) *Thread {
	p.threadsMu.Lock()
	defer p.threadsMu.Unlock()
	return p.threads[tid]
}

func (p *Process) addThread(th *Thread) {
	p.threadsMu.Lock()
	p.threads[th.ID] = th
	if p.memthread == nil {
		p.memthread = th
	}
	p.threadsMu.Unlock()
}

func (p *Process) removeThread(tid int) {
	p.threadsMu.Lock()
	delete(p.threads, tid)
	if p.memthread != nil && p.memthread.ID == tid {
		p.memthread = nil
		for _, th := range p.threads {
			p.memthread = th
			break
		}
	}
	p.threadsMu.Unlock()
	p.job.Forget(tid)
}

func (p *Process) Breakpoints() *proc.BreakpointMap { return &p.breakpoints }

func (p *Process) Memory() proc.MemoryReadWriter { return processMemory{p} }

func (p *Process) Valid() (bool, error) {
	// A release in progress counts as detached: proc must stop using the
	// process as soon as the Continue it may be in returns.
	if p.detached.Load() || p.release.started() {
		return false, proc.ErrProcessDetached
	}
	if p.exited.Load() {
		return false, proc.ErrProcessExited{Pid: p.pid, Status: p.exitStatus}
	}
	return true, nil
}

// RequestManualStop asks a waiting ContinueOnce to halt every thread with
// PTRACE_INTERRUPT. It is called concurrently with ContinueOnce, holding
// cctx.StopMu, and after proc has set the manual-stop flag, which
// ContinueOnce checks when it starts, so no request is lost.
func (p *Process) RequestManualStop(cctx *proc.ContinueOnceContext) error {
	if ok, err := p.Valid(); !ok {
		return err
	}
	if p.g != nil {
		p.g.requestHalt() // every process of the group stops
		return nil
	}
	p.sendHalt()
	return nil
}

func (p *Process) WriteBreakpoint(bp *proc.Breakpoint) error {
	if ok, err := p.Valid(); !ok {
		return err
	}
	if bp.WatchType != 0 {
		// Debug registers are written through ptrace: threads must be held.
		// A software breakpoint is safe in a running program: a one-byte
		// int3 store through /proc/PID/mem, which a thread executes
		// either before or after, never half (rerunHeldTraps).
		if err := p.needStopped(); err != nil {
			return err
		}
	}
	if bp.WatchType == 0 {
		bp.OriginalData = make([]byte, p.bi.Arch.BreakpointSize())
		if _, err := p.readMemory(bp.OriginalData, bp.Addr); err != nil {
			return fmt.Errorf("read original text at %#x: %w", bp.Addr, err)
		}
	}
	if bp.WatchType == 0 && !p.free.on.Load() {
		if done, err := p.plantDirect(bp.Addr, p.bi.Arch.BreakpointInstruction(), bp); done {
			return err
		}
	}
	var err error
	p.onTracer(false, func() {
		p.plantMu.Lock()
		defer p.plantMu.Unlock()
		// Release may have detached since Valid: plant nothing then.
		if p.detached.Load() || p.release.started() {
			err = proc.ErrProcessDetached
			return
		}
		if p.free.on.Load() {
			// Stopping the world looks for untraced threads; while the
			// program runs free, look before an int3 goes in that one
			// could execute (adoptStrays).
			if _, err = p.adoptStrays(); err != nil {
				return
			}
		}
		if bp.WatchType != 0 {
			p.usedWatchpoints = true
			for _, th := range p.threadSlice() {
				if err = th.writeHardwareBreakpoint(bp.Addr, bp.WatchType, bp.HWBreakIndex); err != nil {
					return
				}
			}
		} else if _, err = p.writeMemoryOnTracer(bp.Addr, p.bi.Arch.BreakpointInstruction()); err != nil {
			return
		}
		if bp.WatchType == 0 {
			p.rememberText(bp.Addr, bp.OriginalData)
		}
		p.recordPlanted(&proc.Breakpoint{Addr: bp.Addr, FunctionName: bp.FunctionName, WatchType: bp.WatchType,
			HWBreakIndex: bp.HWBreakIndex, OriginalData: bp.OriginalData})
	})
	return err
}

func (p *Process) EraseBreakpoint(bp *proc.Breakpoint) error {
	if ok, err := p.Valid(); !ok {
		return err
	}
	if bp.WatchType != 0 {
		if err := p.needStopped(); err != nil {
			return err
		}
	}
	// A thread whose stop is unsettled may have executed this very
	// breakpoint: it is settled while the breakpoint is still there
	// (settle_linux.go).
	unsettled := p.anyUnsettled()
	if bp.WatchType == 0 && !p.free.on.Load() && !unsettled {
		if done, err := p.plantDirect(bp.Addr, bp.OriginalData, nil); done {
			return err
		}
	}
	var err error
	p.onTracer(false, func() {
		if unsettled {
			if err = p.settleAll(); err != nil {
				return
			}
		}
		p.plantMu.Lock()
		defer p.plantMu.Unlock()
		if _, ok := p.planted[bp.Addr]; !ok {
			return // taken out by a release already
		}
		defer func() {
			if err != nil && !p.alive() {
				// Killed and not reaped yet: nothing is left to restore.
				err = nil
				p.forgetPlanted(bp.Addr)
			}
		}()
		if bp.WatchType != 0 {
			for _, th := range p.threadSlice() {
				if err = th.clearHardwareBreakpoint(bp.Addr, bp.WatchType, bp.HWBreakIndex); err != nil {
					return
				}
			}
		} else if _, err = p.writeMemoryOnTracer(bp.Addr, bp.OriginalData); err != nil {
			return
		}
		p.forgetPlanted(bp.Addr)
	})
	return err
}

// plantDirect writes a software breakpoint (bp non-nil: data is the
// breakpoint instruction) or erases one (bp nil: data is the original
// text) from the calling goroutine, without a hand-off to the tracer
// thread: proc writes and erases one breakpoint per line for every next
// and step, dozens in a row, and each hand-off costs a wake of the locked
// tracer thread (BenchmarkTracerHandOff). A store through /proc/PID/mem
// needs no stopped thread; only kernels built with
// CONFIG_PROC_MEM_FORCE_PTRACE refuse a forced write from another thread
// than the tracer, and then done is false and the caller takes the tracer
// path. Not while the program runs free: the sweep for untraced threads
// must come first there (WriteBreakpoint).
func (p *Process) plantDirect(addr uint64, data []byte, bp *proc.Breakpoint) (done bool, err error) {
	p.plantMu.Lock()
	defer p.plantMu.Unlock()
	if p.detached.Load() || p.release.started() {
		if bp == nil {
			return true, nil // taken out by the release
		}
		return true, proc.ErrProcessDetached
	}
	if bp == nil {
		if _, ok := p.planted[addr]; !ok {
			return true, nil // taken out by a release already
		}
	}
	if _, err := p.mem.WriteAt(data, int64(addr)); err != nil {
		return false, nil
	}
	if bp == nil {
		p.forgetPlanted(addr)
		return true, nil
	}
	p.rememberText(addr, bp.OriginalData)
	p.recordPlanted(&proc.Breakpoint{Addr: addr, FunctionName: bp.FunctionName, OriginalData: bp.OriginalData})
	return true, nil
}

func (p *Process) SupportsBPF() bool { return false }

func (p *Process) StartCallInjection() (func(), error) { return func() {}, nil }

// FollowExec turns following exec'd children on or off (exec_linux.go);
// proc's TargetGroup.FollowExec calls it for every target. The regex, if
// any, is set after it by the package's FollowExec.
func (p *Process) FollowExec(enable bool) error {
	if p.g == nil {
		return errors.New("follow-exec: process is not part of a group")
	}
	p.g.mu.Lock()
	p.g.follow, p.g.followRx = enable, nil
	p.g.mu.Unlock()
	return nil
}

// alive reports whether the process still runs code: not gone, not a
// zombie.
func (p *Process) alive() bool {
	state := readStatus(fmt.Sprintf("/proc/%d/status", p.pid))["State"]
	return state != "" && state[0] != 'Z' && state[0] != 'X'
}

// findBreakpoint returns the breakpoint at pc, or at pc-len(int3) when
// adjust says the thread may have executed it.
func (p *Process) findBreakpoint(pc uint64, adjust bool) (*proc.Breakpoint, bool) {
	if adjust {
		if bp, ok := p.breakpoints.M[pc-uint64(p.bi.Arch.BreakpointSize())]; ok {
			return bp, true
		}
	}
	bp, ok := p.breakpoints.M[pc]
	return bp, ok
}

// postExit marks the process gone and releases what it held.
func (p *Process) postExit(status int) {
	// Only the tracer thread gets here; the status is written before the
	// flag that makes other goroutines read it.
	if p.exited.Load() {
		return
	}
	p.exitStatus = status
	// A vfork child keeps the memory, and our breakpoints, of a parent
	// that is gone.
	p.releaseKids()
	p.exited.Store(true)
	p.finish()
}

// finish releases the tracer, files and signal handlers, once: the
// process can end (postExit, on the tracer thread) while a detach ends the
// session from another goroutine, and both finish it.
func (p *Process) finish() {
	p.finishOnce.Do(func() {
		p.release.stop()
		if p.mem != nil {
			p.mem.Close()
		}
		p.subs.close()
		if !p.exited.Load() || !p.g.recycle(p) { // prefetch_linux.go
			p.bi.Close()
		}
		go p.tr.close() // may be called from the tracer thread itself
	})
}
