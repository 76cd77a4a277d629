//go:build linux

package integration

// Whole-job attach: `dlv-listen attach --job PID` on a pipeline of two Go
// programs started as a job of a real `bash -i`. The shell does the job
// control (Ctrl-Z typed in its terminal, fg); dlv-listen debugs both
// processes and announces each one's change and the job's.

import (
	"fmt"
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
	expectJobNotice(t, d.Term, mark, JobStoppedNotice(p.Pgid, "SIGTSTP", 2),
		StoppedNotice(p.Prod, "SIGTSTP"), StoppedNotice(p.Cons, "SIGTSTP"))

	// The debugger continues: the job stays stopped, and bash says so.
	p.A.AssertFrozen(t, time.Second)
	d.Halt(t)
	out := d.Command("jobs", CmdTimeout)
	for _, re := range []*regexp.Regexp{
		regexp.MustCompile(fmt.Sprintf(`process %d is stopped by SIGTSTP`, p.Prod)),
		regexp.MustCompile(fmt.Sprintf(`process %d is stopped by SIGTSTP`, p.Cons)),
		regexp.MustCompile(fmt.Sprintf(`job %d is stopped by SIGTSTP: all 2 processes`, p.Pgid)),
	} {
		if !re.MatchString(out) {
			t.Errorf("dlv-listen's jobs: %q, want /%s/", out, re)
		}
	}
	d.Continue(t)
	p.stopped(t, "halt and continue in the debugger")
	if out := sh.Jobs(); !p.StoppedRe().MatchString(out) {
		t.Fatalf("jobs after the debugger continued: %q, want Stopped", out)
	}

	mark = d.Mark()
	p.Fg(t)
	p.running(t)
	// The job counts as continued from its first member's SIGCONT on (the
	// shell's rule: listenmode.Job), so its notice may come between the two.
	expectAll(t, d.Term, mark, ContinuedNotice(p.Prod), ContinuedNotice(p.Cons), JobContinuedNotice(p.Pgid, 2))

	d.Halt(t)
	d.Detach(t)
	for _, pid := range p.pids() {
		WaitUntraced(t, pid, "running", EventTimeout)
	}
	p.running(t)
	t.Logf("bash:\n%s\ndlv-listen:\n%s", sh.Output(), d.Output())
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

// Breakpoints in both programs of the job: main.consume stops in the
// consumer, main.produce in the producer (the terminal switches to it);
// each evaluates there; after clearall and the detach both run on. Both
// ends run the same program, so each break makes one breakpoint per
// process, as stock dlv's terminal does with several targets.
func TestJobPipelineBreakpoints(t *testing.T) {
	sh := StartShell(t, "bash")
	p := startPipelineJob(t, sh)
	d := attachJob(t, p.Cons)
	if out := d.Command("target list", CmdTimeout); !regexp.MustCompile(fmt.Sprintf(`(?m)^\s+%d\s+\S*pipeline produce`, p.Prod)).MatchString(out) ||
		!regexp.MustCompile(fmt.Sprintf(`(?m)^\*\s+%d\s+\S*pipeline consume`, p.Cons)).MatchString(out) {
		t.Fatalf("target list after attach --job %d: %q, want both ends, the consumer selected", p.Cons, out)
	}
	d.Break(t, "main.consume")
	d.Continue(t)
	d.Expect(regexp.MustCompile(`> \[Breakpoint \d+\] main\.consume\(\)`), CmdTimeout)
	d.WaitPrompt(CmdTimeout)
	if n := fePrintInt(t, d, "n"); n < 1 {
		t.Fatalf("consume's n = %d", n)
	}
	d.Command("clearall", CmdTimeout)
	d.Break(t, "main.produce")
	d.Continue(t)
	m, ok := d.TryExpect(feSwitchRe, CmdTimeout)
	if !ok {
		va, ma := p.A.Moves(300 * time.Millisecond)
		vb, mb := p.B.Moves(300 * time.Millisecond)
		t.Fatalf("no stop at main.produce within %v: producer counter %d (moving %v), consumer %d (moving %v); the kernel's view:\n%s",
			CmdTimeout, va, ma, vb, mb, KernelView(p.Prod, p.Cons))
	}
	if m[1] != fmt.Sprint(p.Cons) || m[2] != fmt.Sprint(p.Prod) {
		t.Fatalf("switched from %s to %s, want from the consumer %d to the producer %d", m[1], m[2], p.Cons, p.Prod)
	}
	d.Expect(regexp.MustCompile(`> \[Breakpoint \d+\] main\.produce\(\)`), CmdTimeout)
	d.WaitPrompt(CmdTimeout)
	if n := fePrintInt(t, d, "n"); n < 1 {
		t.Fatalf("produce's n = %d", n)
	}
	d.Command("clearall", CmdTimeout)
	d.Detach(t)
	for _, pid := range p.pids() {
		WaitUntraced(t, pid, "running", EventTimeout)
	}
	p.running(t)
}
