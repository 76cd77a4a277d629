package backend

import (
	"errors"
	"regexp"
	"sync"
	"sync/atomic"

	"github.com/go-delve/delve/pkg/logflags"
	"github.com/go-delve/delve/pkg/proc"
	"github.com/go-delve/delve/pkg/proc/linutil"
)

// group is the proc.ProcessGroup of a session: the processes it debugs
// (targets_linux.go). Its methods are called from proc's goroutine.
//
// Each process has its own tracer thread, so resuming the group is each
// process's continue run at once, one goroutine each: the first to end
// (a trap, a halt, an error) ends the group's, and the others are halted,
// as native stops every process when one traps. A process that exits
// while others live is dropped from the continue silently (native does the
// same); the group's continue reports an exit only when none is left.
type group struct {
	// addTarget is the AddTargetFunc proc.NewGroup returned: a followed
	// child or a member of a job becomes a target through it.
	addTarget proc.AddTargetFunc

	mu sync.Mutex
	// debugInfoDirs are where a followed child's debug information may be
	// (mu).
	debugInfoDirs []string
	// procs are every process that joined, in order (mu).
	procs []*Process
	// onNew are called for each process that joins later (OnNewProcess).
	onNew []func(*Process)
	// follow and followRx are follow-exec's setting (mu): FollowExec sets
	// both; proc's TargetGroup.FollowExec reaches Process.FollowExec,
	// which sets follow and clears the regex (any command line is handed
	// over, and proc decides).
	follow   bool
	followRx *regexp.Regexp
	// newborn are processes handed over after exec, held, that proc has
	// not made targets yet (mu); bornc is signalled when one is queued.
	newborn []*Process
	bornc   chan struct{}
	// unfollowed are exec'd children let go, to be announced to proc
	// (mu).
	unfollowed []spawn
	// killed: proc detached a target with kill (a launched session).
	killed bool
	// spares are debug information loaded ahead for the next child of
	// an executable (prefetch_linux.go), by path (mu); loading counts
	// the loads in flight; closing stops new ones (mu).
	spares  map[string]*spare
	loading sync.WaitGroup
	closing bool
	// sparesUsed and sparesDropped count the spares given to a child
	// and those that did not match it; sparesRecycled, the used ones that
	// an ended child left.
	sparesUsed, sparesDropped, sparesRecycled atomic.Int32
}

// spawn is an exec'd child that was not followed.
type spawn struct {
	parent  *Process
	pid     int
	cmdline string
	// why the child could not be debugged (not Go, no debug
	// information); nil when the regex did not match it.
	why error
}

// newGroup makes the group of a process attached or launched on its own:
// it is made with the process, before its tracer runs. A process that
// joins another's group (exec_linux.go, job_linux.go) gets that group
// instead, also before its tracer runs.
func newGroup(p *Process) *group {
	g := &group{procs: []*Process{p}, bornc: make(chan struct{}, 1)}
	p.g = g
	return g
}

func (g *group) processes() []*Process {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]*Process(nil), g.procs...)
}

// live returns the processes still debugged.
func (g *group) live() []*Process {
	var ps []*Process
	for _, p := range g.processes() {
		if ok, _ := p.Valid(); ok {
			ps = append(ps, p)
		}
	}
	return ps
}

// process returns the process with the given pid, or nil: the newest,
// when the program the pid ran exec'd another (selfExec), as proc, whose
// targets it has both of, asks for either by that pid.
func (g *group) process(pid int) *Process {
	g.mu.Lock()
	defer g.mu.Unlock()
	for i := len(g.procs) - 1; i >= 0; i-- {
		if p := g.procs[i]; p.pid == pid {
			return p
		}
	}
	return nil
}

// processOfThread returns the process thread tid belongs to, or nil.
func (g *group) processOfThread(tid int) *Process {
	for _, p := range g.processes() {
		if p.thread(tid) != nil {
			return p
		}
	}
	return nil
}

// born queues a process handed over after exec. Any tracer thread.
func (g *group) born(np *Process) {
	g.mu.Lock()
	g.newborn = append(g.newborn, np)
	g.mu.Unlock()
	select {
	case g.bornc <- struct{}{}:
	default:
	}
}

// spawned queues the announcement of an exec'd child that was let go:
// the regex did not match it (why nil), or it could not be debugged.
func (g *group) spawned(parent *Process, pid int, cmdline string, why error) {
	g.mu.Lock()
	g.unfollowed = append(g.unfollowed, spawn{parent, pid, cmdline, why})
	g.mu.Unlock()
	select {
	case g.bornc <- struct{}{}:
	default:
	}
}

// adoptNewborn makes every queued process a target, as native does at a
// child's exec (proc's AddTargetFunc loads its debug information and puts
// the group's breakpoints in it), and announces the children let go. It
// returns the processes that joined. proc's goroutine.
func (g *group) adoptNewborn() []*Process {
	g.mu.Lock()
	nb, un := g.newborn, g.unfollowed
	g.newborn, g.unfollowed = nil, nil
	g.mu.Unlock()
	for _, s := range un {
		// proc announces every exec'd child (EventProcessSpawned) and
		// answers nil for one it does not follow; the regex said so here
		// already, and the child is gone from us. One that could not be
		// debugged matched the regex: proc tries to make it a target, and
		// the stand-in fails that at once (undebuggable).
		stub := &Thread{ID: s.pid, p: s.parent}
		var as proc.ProcessInternal = s.parent
		if s.why != nil {
			as = undebuggable{why: s.why}
		}
		if tgt, _ := g.addTarget(as, s.pid, stub, exePath(s.pid), proc.StopLaunched, s.cmdline); tgt != nil {
			logflags.DebuggerLogger().Errorf("dlv-listen backend: child %d was let go, but proc made it a target", s.pid)
		}
	}
	var joined []*Process
	for _, np := range nb {
		if g.adopt(np) {
			joined = append(joined, np)
		}
	}
	return joined
}

// adopt makes np a target, or lets it go if proc does not want it.
func (g *group) adopt(np *Process) bool {
	log := logflags.DebuggerLogger()
	path := exePath(np.pid)
	id, known := exeOf(np, path)
	if known && !g.takeSpare(np, id) {
		// For the next child, while this one loads and runs; not when
		// an ended child gave this one its spare: this one will too.
		g.prefetch(id)
	}
	tgt, err := g.addTarget(np, np.pid, np.leaderOrAny(), path, proc.StopLaunched, np.cmd)
	if err == nil && tgt != nil {
		err = linutil.ElfUpdateSharedObjects(np)
	}
	if err != nil || tgt == nil {
		if err != nil {
			log.Warnf("dlv-listen backend: child target %d %q cannot be debugged: %v", np.pid, np.cmd, err)
		}
		if derr := np.detachOrKill(false); derr != nil {
			log.Errorf("dlv-listen backend: let child %d go: %v", np.pid, derr)
		}
		return false
	}
	if known && id.file.size <= maxSpareSize {
		np.exe = &id // its debug information may serve the next child
	}
	g.mu.Lock()
	g.procs = append(g.procs, np)
	fns := make([]func(*Process), len(g.onNew))
	copy(fns, g.onNew)
	g.mu.Unlock()
	for _, fn := range fns {
		fn(np)
	}
	return true
}

// requestHalt halts every process's continue.
func (g *group) requestHalt() {
	for _, p := range g.processes() {
		p.sendHalt()
	}
}

func (g *group) ContinueOnce(cctx *proc.ContinueOnceContext) (proc.Thread, proc.StopReason, error) {
	g.adoptNewborn()
	live := g.live()
	on, _ := g.following()
	if len(live) == 1 && !on {
		return live[0].continueOnce(cctx)
	}
	if len(live) == 0 {
		return nil, proc.StopExited, g.exitError()
	}
	return g.continueAll(cctx, live)
}

// memberResult is how one process's continue ended.
type memberResult struct {
	p       *Process
	th      *Thread
	trapped bool
	err     error
}

// continueAll resumes every live process and returns once one has a thread
// to report (a trap, or a halt), every other being halted meanwhile.
// Children that exec meanwhile join and run too.
func (g *group) continueAll(cctx *proc.ContinueOnceContext, live []*Process) (proc.Thread, proc.StopReason, error) {
	results := make(chan memberResult, 8)
	running := 0
	var resumeWait sync.WaitGroup
	halting := false
	// groupHalt is the halt one process's stop asks of the others. Like
	// proc's manual-stop flag it outlives the token in haltc, which a
	// step over a breakpoint at the start of a continue may take.
	var groupHalt atomic.Bool
	halt := func() {
		halting = true
		groupHalt.Store(true)
		g.requestHalt()
	}
	start := func(p *Process) {
		running++
		resumeWait.Add(1)
		var once sync.Once
		rc := runCtx{
			manualStop: func() bool { return groupHalt.Load() || cctx.GetManualStopRequested() },
			resumed:    func() { once.Do(resumeWait.Done) },
		}
		go func() {
			th, trapped, err := p.run(rc)
			once.Do(resumeWait.Done)
			results <- memberResult{p, th, trapped, err}
		}()
	}
	for _, p := range live {
		p.dropStaleHalt() // before any goroutine can halt another
	}
	for _, p := range live {
		start(p)
	}
	// proc's ResumeChan says the program runs: once every process does.
	if cctx.ResumeChan != nil {
		ch := cctx.ResumeChan
		cctx.ResumeChan = nil
		go func() {
			resumeWait.Wait()
			close(ch)
		}()
	}
	var (
		report  *memberResult
		lastErr error
	)
	for running > 0 {
		select {
		case r := <-results:
			running--
			var exited proc.ErrProcessExited
			switch {
			case r.err != nil && errors.As(r.err, &exited):
				// One process ended; the others go on.
				lastErr = r.err
			case r.err != nil:
				if lastErr == nil || report == nil {
					lastErr = r.err
				}
				if !halting {
					halt()
				}
			default:
				if report == nil || (!report.trapped && r.trapped) {
					rr := r
					report = &rr
				}
				if !halting {
					halt()
				}
			}
		case <-g.bornc:
			for _, np := range g.adoptNewborn() {
				if halting {
					continue // held; it runs at the next continue
				}
				start(np)
			}
		}
	}
	if report != nil {
		return report.th, proc.StopUnknown, nil
	}
	if lastErr == nil {
		lastErr = errors.New("continue ended with no process left")
	}
	var exited proc.ErrProcessExited
	if errors.As(lastErr, &exited) {
		if len(g.live()) > 0 {
			// Only children ended, while the group was halting: report
			// the halt on the first live process.
			return g.live()[0].leaderOrAny(), proc.StopUnknown, nil
		}
		return nil, proc.StopExited, g.exitError()
	}
	return nil, proc.StopUnknown, lastErr
}

// exitError is the exit to report once every process is gone: the first
// process's, as proc reports it for the group (targets[0]); if its program
// exec'd another, the last program's of its pid (selfExec).
func (g *group) exitError() error {
	_, err := g.process(g.procs[0].pid).Valid()
	return err
}

func (g *group) StepInstruction(tid int) error {
	p := g.processOfThread(tid)
	if p == nil {
		p = g.procs[0]
	}
	return p.stepInstructionTid(tid)
}

func (g *group) Detach(pid int, kill bool) error {
	g.mu.Lock()
	g.killed = g.killed || kill
	g.mu.Unlock()
	p := g.process(pid)
	if p == nil {
		return nil
	}
	return p.detachOrKill(kill)
}

// Close ends the session after proc detached every target: a child handed
// over after exec that was not made a target yet (it execs while the group
// was stopping) is let go, or killed with the rest.
func (g *group) Close() error {
	g.dropNewborn()
	g.dropSpares()
	return nil
}

// dropNewborn lets go (or kills, when the session killed its processes)
// every process handed over and not adopted yet.
func (g *group) dropNewborn() {
	g.mu.Lock()
	nb, kill := g.newborn, g.killed
	g.newborn = nil
	g.mu.Unlock()
	for _, np := range nb {
		if err := np.detachOrKill(kill); err != nil {
			logflags.DebuggerLogger().Errorf("dlv-listen backend: let child %d go: %v", np.pid, err)
		}
	}
}

// undebuggable stands, in proc's AddTargetFunc, for an exec'd child that
// was let go because it cannot be debugged, so that proc announces it as
// native has it announce every exec'd child it follows: addTarget sends
// EventProcessSpawned (WillFollow: follow-exec on and the regex matched)
// whatever comes next, then makes the target, which starts by asking the
// process for its entry point (newTarget): refused here with the reason,
// before anything else of the stand-in is used. Delve v1.27.2,
// pkg/proc/target_group.go and target.go.
type undebuggable struct {
	proc.ProcessInternal // nil: never reached
	why                  error
}

func (u undebuggable) EntryPoint() (uint64, error) { return 0, u.why }
