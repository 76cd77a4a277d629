//go:build linux

package integration

// Ctrl-C typed right after `continue` halts the program, as in stock dlv
// (which lost none of 15 in the same loop): a halt request that arrives
// before the continue has resumed every process must not be dropped as a
// stale one. Found with the whole-job tests; a single process has it too.

import (
	"testing"
	"time"

	"github.com/dlv-listen/dlv-listen/internal/testprog"
)

// haltRightAfterContinue types continue then Ctrl-C, rounds times, and
// fails if a Ctrl-C did not bring the prompt back within 3 s (a second
// Ctrl-C then ends that continue, so every round is counted).
func haltRightAfterContinue(t *testing.T, d *Debugger, rounds int) {
	t.Helper()
	lost := 0
	for i := 0; i < rounds; i++ {
		d.Continue(t)
		d.Send(CtrlC)
		if _, ok := d.TryExpect(DlvPrompt, 3*time.Second); !ok {
			lost++
			d.Halt(t)
		}
	}
	if lost > 0 {
		t.Errorf("%d of %d Ctrl-C typed right after continue did not halt within 3 s", lost, rounds)
	}
}

func TestHaltRightAfterContinue(t *testing.T) {
	const rounds = 15
	t.Run("one process", func(t *testing.T) {
		job := testprog.Start(t, "counter")
		haltRightAfterContinue(t, Attach(t, job.Pid, DebuggerOptions{}), rounds)
	})
	t.Run("job", func(t *testing.T) {
		p := startPipelineJob(t, StartShell(t, "bash"))
		haltRightAfterContinue(t, attachJob(t, p.Cons), rounds)
	})
}
