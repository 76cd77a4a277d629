package backend

import (
	"github.com/go-delve/delve/pkg/proc"
)

// group is the proc.ProcessGroup of one process: dlv-listen follows
// neither fork nor exec, so it always holds exactly one.
type group struct {
	p *Process
}

func (g *group) ContinueOnce(cctx *proc.ContinueOnceContext) (proc.Thread, proc.StopReason, error) {
	return g.p.continueOnce(cctx)
}

func (g *group) StepInstruction(tid int) error {
	return g.p.stepInstructionTid(tid)
}

func (g *group) Detach(pid int, kill bool) error {
	return g.p.detachOrKill(kill)
}

func (g *group) Close() error { return nil }
