//go:build linux

package integration

// The terminal's foreground with several processes: a launched program
// and the child it execs share its process group, hence the terminal,
// which goes to the program while its job (every debugged process of the
// group) is not stopped as a whole, as a shell hands the terminal to a
// job.

import (
	"fmt"
	"regexp"
	"syscall"
	"testing"
	"time"

	"github.com/dlv-listen/dlv-listen/internal/testprog"
)

// The parent alone stopped by SIGSTOP (its group-stop reported: back to
// the prompt), a continue runs the followed child: the job is mixed, so
// the program's group owns the terminal (the child would get SIGTTIN
// reading it otherwise); once the child stops too, the job is stopped and
// the prompt has the terminal.
func TestFollowExecForegroundMixedJob(t *testing.T) {
	spawner := Program(t, "spawner")
	counterBin := Program(t, "counter")
	var pgid int
	dir := KidsDir(t, &pgid)
	child := &Counter{Path: dir + "/child-counter"}
	tm := startDlv(t, "exec", "--follow-exec", spawner, "--", "-out", dir+"/rounds", "-rounds", "1",
		"-exec", counterBin, "--", "-out", child.Path, "-workers", "0")
	pid := launchedPid(t, tm)
	pgid = pid // the launched program leads its own group
	dlvPgrp, _ := syscall.Getpgid(tm.Pid())

	tm.SendLine("continue")
	tm.Expect("continue\n", 5*time.Second)
	child.WaitAdvance(t, StartTimeout)
	kid := 0
	for _, c := range Children(pid) {
		kid = c
	}
	if kid == 0 {
		t.Fatalf("no child of %d", pid)
	}
	waitTpgid(t, pid, pid, "while parent and child run")

	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	tm.Expect(StoppedNotice(pid, "SIGSTOP"), EventTimeout)
	tm.WaitPrompt(CmdTimeout)
	waitTpgid(t, pid, dlvPgrp, "at the prompt")

	tm.SendLine("continue")
	tm.Expect("continue\n", 5*time.Second)
	child.WaitAdvance(t, EventTimeout)
	waitTpgid(t, pid, pid, fmt.Sprintf("while the child %d runs and the parent is stopped", kid))

	if err := syscall.Kill(kid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	tm.Expect(StoppedNotice(kid, "SIGSTOP"), EventTimeout)
	tm.Expect(regexp.MustCompile(fmt.Sprintf(`job %d stopped by SIGSTOP: all 2 processes`, pid)), EventTimeout)
	tm.WaitPrompt(CmdTimeout)
	waitTpgid(t, pid, dlvPgrp, "with the whole job stopped")
	exitKilling(t, tm, pid)
	WaitGone(t, kid, 5*time.Second)
}

// waitTpgid waits until the foreground group of pid's terminal is want.
func waitTpgid(t *testing.T, pid, want int, when string) {
	t.Helper()
	deadline := time.Now().Add(testprog.Timeout(EventTimeout))
	for {
		fg := tpgid(pid)
		if fg == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s the terminal's foreground group is %d, want %d", when, fg, want)
		}
		time.Sleep(Poll)
	}
}
