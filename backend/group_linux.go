package backend

import (
	"regexp"
	"sync"

	"github.com/go-delve/delve/pkg/proc"
)

// group is the proc.ProcessGroup of a session: the processes it debugs
// (targets_linux.go). Its methods are called from proc's goroutine.
type group struct {
	// addTarget is the AddTargetFunc proc.NewGroup returned: a followed
	// child or a member of a job becomes a target through it.
	addTarget proc.AddTargetFunc

	mu sync.Mutex
	// procs are every process that joined, in order (mu).
	procs []*Process
	// onNew are called for each process that joins later (OnNewProcess).
	onNew []func(*Process)
	// follow and followRx are follow-exec's setting, as FollowExec last
	// set it (mu).
	follow   bool
	followRx *regexp.Regexp
}

func newGroup(p *Process) *group {
	g := &group{procs: []*Process{p}}
	p.g = g
	return g
}

func (g *group) processes() []*Process {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]*Process(nil), g.procs...)
}

// process returns the process with the given pid, or nil.
func (g *group) process(pid int) *Process {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, p := range g.procs {
		if p.pid == pid {
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

func (g *group) ContinueOnce(cctx *proc.ContinueOnceContext) (proc.Thread, proc.StopReason, error) {
	return g.procs[0].continueOnce(cctx)
}

func (g *group) StepInstruction(tid int) error {
	p := g.processOfThread(tid)
	if p == nil {
		p = g.procs[0]
	}
	return p.stepInstructionTid(tid)
}

func (g *group) Detach(pid int, kill bool) error {
	p := g.process(pid)
	if p == nil {
		return nil
	}
	return p.detachOrKill(kill)
}

func (g *group) Close() error { return nil }
