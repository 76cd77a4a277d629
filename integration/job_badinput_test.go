//go:build linux

package integration

// Bad input to the whole-job attach: each case is one clear line on
// stderr naming the pid and why, a non-zero exit, and every process left
// as it was. A member that cannot be debugged (not Go) is not an error: it
// is left untouched and named in one warning.

import (
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dlv-listen/dlv-listen/internal/testprog"
)

// wantJobAttachError runs `dlv-listen attach --job PID` without a terminal
// and checks it fails with one line matching want.
func wantJobAttachError(t *testing.T, pid int, want string) {
	t.Helper()
	args := []string{"attach", "--job", strconv.Itoa(pid), "--allow-non-terminal-interactive"}
	r := runBad(t, moduleRoot, 20*time.Second, args...)
	t.Logf("dlv-listen %s: status %d; stderr:\n%s", strings.Join(args, " "), r.status, r.stderr)
	if r.status == 0 {
		t.Errorf("exit status 0, want non-zero")
	}
	if l := lines(r.stderr); len(l) != 1 || !regexp.MustCompile(want).MatchString(l[0]) {
		t.Errorf("stderr %q, want one line matching %q", r.stderr, want)
	}
}

func TestJobAttachBadInput(t *testing.T) {
	t.Run("unknown pid", func(t *testing.T) {
		if _, err := os.Stat("/proc/999999"); err == nil {
			t.Skip("pid 999999 exists here")
		}
		wantJobAttachError(t, 999999, `\b999999\b.*no such process`)
	})
	t.Run("zombie", func(t *testing.T) {
		cmd := exec.Command("true")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Wait() })
		WaitState(t, cmd.Process.Pid, 'Z', EventTimeout)
		wantJobAttachError(t, cmd.Process.Pid, fmt.Sprintf(`\b%d\b.*zombie`, cmd.Process.Pid))
	})
	t.Run("a member already traced", func(t *testing.T) {
		// One end of the pipeline is debugged by another dlv-listen: the
		// job attach fails naming it, and leaves the other end as it was.
		sh := StartShell(t, "bash")
		p := startPipelineJob(t, sh)
		first := startDlv(t, "attach", strconv.Itoa(p.Cons))
		st, tracer, _ := testprog.ProcStat(p.Cons)
		wantJobAttachError(t, p.Prod, fmt.Sprintf(`\b%d\b.*already traced`, p.Cons))
		assertUntouched(t, p.Prod, 'S', 0)
		assertUntouched(t, p.Cons, st, tracer)
		p.A.WaitAdvance(t, EventTimeout)
		if out := first.Command("jobs", CmdTimeout); !strings.Contains(out, fmt.Sprintf("process %d is", p.Cons)) {
			t.Errorf("the first dlv-listen's jobs: %q", out)
		}
	})
}

// A job with a member that is not a Go program (`sleep | pipeline
// consume`): the attach names it in one warning and debugs the other;
// the sleep is never traced; the detach leaves the job running.
func TestJobAttachSkipsNonGo(t *testing.T) {
	sh := StartShell(t, "bash")
	bin := Program(t, "pipeline")
	b := NewCounter(t)
	j := sh.StartJob(t, fmt.Sprintf("sleep 600 | %s consume -out %s", bin, b.Path))
	var sleepPid int
	WaitProc(t, j.Pid, "the job's processes", EventTimeout, func(ProcInfo) bool {
		for _, pid := range groupMembers(j.Pgrp()) {
			if strings.HasPrefix(cmdlineOf(pid), "sleep ") {
				sleepPid = pid
			}
		}
		return sleepPid != 0
	})
	d := attachJob(t, j.Pid)
	warn := regexp.MustCompile(fmt.Sprintf(`(?m)^.*\b%d\b.*sleep.*not a Go program.*$`, sleepPid))
	if m := warn.FindAllString(d.Output(), -1); len(m) != 1 {
		t.Errorf("warnings naming the sleep %d: %q, want one; output:\n%s", sleepPid, m, d.Output())
	}
	if _, tracer, _ := testprog.ProcStat(sleepPid); tracer != 0 {
		t.Errorf("the sleep %d is traced by %d", sleepPid, tracer)
	}
	if _, tracer, _ := testprog.ProcStat(j.Pid); tracer == 0 {
		t.Errorf("the consumer %d is not traced", j.Pid)
	}
	d.Continue(t)
	// Halt once it runs: a Ctrl-C typed before the terminal has left the
	// line editor's raw mode is a character, not SIGINT (stock dlv loses
	// it the same way).
	WaitProc(t, j.Pid, "running under the debugger", EventTimeout, func(pi ProcInfo) bool { return pi.Class() == "running" })
	d.Halt(t)
	d.Detach(t)
	WaitUntraced(t, j.Pid, "running", EventTimeout)
	if pi, err := Proc(sleepPid); err != nil || pi.TracerPid != 0 || pi.Class() != "running" {
		t.Errorf("the sleep after the detach: %s", Describe(sleepPid))
	}
}
