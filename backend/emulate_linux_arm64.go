package backend

import "github.com/go-delve/delve/pkg/proc"

// emulateStepOver declines on arm64: every breakpoint is stepped over by
// the CPU (see the amd64 version for what is emulated there).
func (p *Process) emulateStepOver(th *Thread, bp *proc.Breakpoint) (bool, error) {
	return false, nil
}
