//go:build linux

package integration

// Whole-job attach: `dlv-listen attach --job PID` on a pipeline of two Go
// programs started as a job of a real `bash -i`. The shell does the job
// control (Ctrl-Z typed in its terminal, fg); dlv-listen debugs both
// processes and announces each one's change and the job's.

import (
	"regexp"
	"testing"
	"time"
)

// Ctrl-Z stops both ends and dlv-listen says so for each and for the job;
// bash's jobs says Stopped and keeps saying it while the debugger
// continues (and is halted and continued again); fg continues both and
// dlv-listen says so; the detach leaves both running, untraced.
func TestJobPipelineCtrlZFg(t *testing.T) {
	sh := StartShell(t, "bash")
	p := startPipelineJob(t, sh)
	d := attachJob(t, p.Cons)
	d.Continue(t)
	p.Fg(t)
	p.running(t)

	mark := d.Mark()
	p.CtrlZ(t)
	p.stopped(t, "Ctrl-Z")
	expectAll(t, d.Term, mark,
		StoppedNotice(p.Prod, "SIGTSTP"), StoppedNotice(p.Cons, "SIGTSTP"), JobStoppedNotice(p.Pgid, "SIGTSTP", 2))

	// The debugger continues: the job stays stopped, and bash says so.
	p.A.AssertFrozen(t, time.Second)
	d.Halt(t)
	d.Continue(t)
	p.stopped(t, "halt and continue in the debugger")
	if out := sh.Jobs(); !p.StoppedRe().MatchString(out) {
		t.Fatalf("jobs after the debugger continued: %q, want Stopped", out)
	}

	mark = d.Mark()
	p.Fg(t)
	p.running(t)
	expectAll(t, d.Term, mark, ContinuedNotice(p.Prod), ContinuedNotice(p.Cons), JobContinuedNotice(p.Pgid, 2))

	d.Halt(t)
	d.Detach(t)
	for _, pid := range p.pids() {
		WaitUntraced(t, pid, "running", EventTimeout)
	}
	p.running(t)
}

// A job stopped (Ctrl-Z) before the attach stays stopped through the
// attach, a continue in the debugger and the detach; fg then runs both.
func TestJobPipelineStoppedBeforeAttach(t *testing.T) {
	sh := StartShell(t, "bash")
	p := startPipelineJob(t, sh)
	p.Fg(t)
	p.running(t)
	p.CtrlZ(t)
	p.stopped(t, "Ctrl-Z")

	d := attachJob(t, p.Cons)
	p.stopped(t, "the attach")
	d.Continue(t)
	p.stopped(t, "continue in the debugger")
	d.Halt(t)
	d.Detach(t)
	for _, pid := range p.pids() {
		WaitUntraced(t, pid, "stopped", EventTimeout)
	}
	p.stopped(t, "the detach")

	p.Fg(t)
	p.running(t)
	if out := sh.Since(0); regexp.MustCompile(`Trace/breakpoint trap|Segmentation fault`).MatchString(out) {
		t.Fatalf("the shell reports a member's death: %q", out)
	}
}
