package backend

import (
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/dlv-listen/dlv-listen/listenmode"
)

// ProbeJobState asks the kernel, while the debugger holds the process,
// whether its group-stop still holds, and publishes the transition if it
// ended (a SIGCONT sent while every thread was held is otherwise seen only
// at the next resume). Each held group-stopped thread is PTRACE_LISTEN'ed
// and at once PTRACE_INTERRUPT'ed: it re-traps reporting the group's
// state now — the SIGTRAP notification if SIGCONT came, its stop signal if
// not — and never runs. Safe to call whenever proc is not continuing.
func (p *Process) ProbeJobState() error {
	if ok, err := p.Valid(); !ok {
		return err
	}
	if err := p.needStopped(); err != nil {
		return err
	}
	var err error
	p.tr.do(func() { err = p.probeOnTracer() })
	return err
}

func (p *Process) probeOnTracer() error {
	var probed []*Thread
	for _, th := range p.threadSlice() {
		if th.state != held || th.last.Kind != listenmode.KindGroupStop {
			continue
		}
		if err := ptraceListen(th.ID); err != nil {
			if err == unix.ESRCH {
				continue
			}
			return fmt.Errorf("listen thread %d: %w", th.ID, err)
		}
		th.state = listening
		p.job.Resumed(th.ID)
		if err := ptraceInterrupt(th.ID); err != nil && err != unix.ESRCH {
			return fmt.Errorf("interrupt thread %d: %w", th.ID, err)
		}
		probed = append(probed, th)
	}
	for _, th := range probed {
		for th.state != held && p.thread(th.ID) != nil {
			ws, _, err := p.waitThread(th)
			if err != nil {
				return err
			}
			t, stop := p.reap(th.ID, ws)
			if t == nil {
				break
			}
			p.observe(t, stop)
			p.holdPending(t, stop)
		}
	}
	return nil
}
