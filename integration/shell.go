//go:build linux

package integration

import (
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// ShellPrompt is PS1 of the shells StartShell runs.
const ShellPrompt = "SHELL-PROMPT> "

// Timeouts generous enough for a loaded 2-core machine, for things that
// normally take milliseconds.
const (
	CmdTimeout   = 15 * time.Second // a shell or debugger command's round trip
	StartTimeout = 30 * time.Second // a debugger's attach (loading debug info)
	EventTimeout = 5 * time.Second  // a job-control change to show
)

// Shell is an interactive shell with job control in a pty of its own: the
// stand-in for a user's terminal.
type Shell struct {
	*Term
	Kind string // "bash", "sh" or "dash"
	Dir  string // its working directory, a fresh temporary one
}

// StartShell runs an interactive shell: kind "bash" is `bash --norc
// --noprofile -i`, "sh" and "dash" are `sh -i` / `dash -i` (job control is
// on in an interactive shell with a terminal). The environment is minimal
// (PATH, HOME = Dir, TERM=xterm, LANG=C, PS1 = ShellPrompt), so no user
// configuration leaks in. It returns at the first prompt. The shell, its
// jobs and their children are killed at the end of the test, or when the
// test binary dies (see StartTerm).
func StartShell(t testing.TB, kind string) *Shell {
	t.Helper()
	var args []string
	switch kind {
	case "bash":
		args = []string{"bash", "--norc", "--noprofile", "-i"}
	case "sh", "dash":
		args = []string{kind, "-i"}
	default:
		t.Fatalf("StartShell: unknown shell kind %q (want bash, sh or dash)", kind)
	}
	path, err := exec.LookPath(args[0])
	if err != nil {
		t.Skipf("StartShell: no %s on this machine: %v", args[0], err)
	}
	dir := t.TempDir()
	cmd := exec.Command(path, args[1:]...)
	cmd.Dir = dir
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + dir,
		"TERM=xterm",
		"LANG=C",
		"PS1=" + ShellPrompt,
		"HISTFILE=/dev/null",
		"INPUTRC=/dev/null",
		"ENV=",
	}
	sh := &Shell{Term: StartTerm(t, kind, cmd), Kind: kind, Dir: dir}
	sh.SetPrompt(ShellPrompt)
	sh.WaitPrompt(10 * time.Second)
	return sh
}

// Job is a job the shell started in the background.
type Job struct {
	Sh  *Shell
	N   int // job number, for %N
	Pid int // the last process of the job ($!): its pipeline's last member
}

var jobStartRe = regexp.MustCompile(`\[(\d+)\] (\d+)`)

// StartJob types `cmdline &` and returns the job: its number from the
// shell's "[N] PID" line and its pid from `echo $!`.
func (sh *Shell) StartJob(t testing.TB, cmdline string) *Job {
	t.Helper()
	out := sh.Command(cmdline+" &", CmdTimeout)
	m := jobStartRe.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("%s did not start a job for %q: %q", sh.Kind, cmdline, out)
	}
	n, _ := strconv.Atoi(m[1])
	out = sh.Command("echo $!", CmdTimeout)
	pid, err := strconv.Atoi(strings.TrimSpace(out))
	if err != nil {
		t.Fatalf("%s: echo $! = %q", sh.Kind, out)
	}
	return &Job{Sh: sh, N: n, Pid: pid}
}

// Spec is the job's %N.
func (j *Job) Spec() string { return "%" + strconv.Itoa(j.N) }

// Regular expressions for a job's line in `jobs` (bash: "[1]+  Stopped
// cmd"; dash: "[1] + Stopped cmd").
func (j *Job) StoppedRe() *regexp.Regexp { return jobLineRe(j.N, `Stopped`) }
func (j *Job) RunningRe() *regexp.Regexp { return jobLineRe(j.N, `Running`) }

func jobLineRe(n int, word string) *regexp.Regexp {
	return regexp.MustCompile(fmt.Sprintf(`(?m)^\[%d\]\s*[+-]?\s+%s`, n, word))
}

// Jobs runs `jobs` and returns its output.
func (sh *Shell) Jobs() string { return sh.Command("jobs", CmdTimeout) }

// WaitJobs runs `jobs` until its output matches re; it returns that output.
func (sh *Shell) WaitJobs(t testing.TB, re *regexp.Regexp, timeout time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		out := sh.Jobs()
		if re.MatchString(out) {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s's jobs = %q after %v, want /%s/", sh.Kind, out, timeout, re)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// WaitSays runs `jobs` until what the shell printed from the point from
// (a Mark) on contains text: a shell reports a job's end ("Killed",
// "Terminated", "Done") at its next prompt, before the output of whatever
// command comes next.
func (sh *Shell) WaitSays(t testing.TB, from int, text string, timeout time.Duration) {
	t.Helper()
	sh.WaitSaysRe(t, from, regexp.MustCompile(regexp.QuoteMeta(text)), timeout)
}

// WaitSaysRe is WaitSays for a regular expression; it returns the match
// and its submatches.
func (sh *Shell) WaitSaysRe(t testing.TB, from int, re *regexp.Regexp, timeout time.Duration) []string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		sh.Jobs()
		if m := re.FindStringSubmatch(sh.Since(from)); m != nil {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not say /%s/ within %v: %q", sh.Kind, re, timeout, sh.Since(from))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Fg types `fg %N` and waits until the job's process group owns the
// terminal. The shell's prompt does not come back until the job stops or
// ends.
func (j *Job) Fg(t testing.TB) {
	t.Helper()
	line := "fg " + j.Spec()
	j.Sh.SendLine(line)
	j.Sh.Expect(line+"\n", 5*time.Second)
	pgrp := j.Pgrp()
	WaitProc(t, j.Pid, fmt.Sprintf("the terminal's foreground group to be %d", pgrp), EventTimeout,
		func(pi ProcInfo) bool { return pi.TPGid == pgrp })
}

// Pgrp is the job's process group.
func (j *Job) Pgrp() int {
	pi, err := Proc(j.Pid)
	if err != nil {
		return -1
	}
	return pi.Pgrp
}

// Bg types `bg %N` and returns what the shell said.
func (j *Job) Bg(t testing.TB) string {
	t.Helper()
	return j.Sh.Command("bg "+j.Spec(), CmdTimeout)
}

// CtrlZ types Ctrl-Z into the shell's terminal while the job is in the
// foreground and waits for the shell to say the job stopped and to show its
// prompt.
func (j *Job) CtrlZ(t testing.TB) {
	t.Helper()
	j.Sh.Send(CtrlZ)
	j.Sh.Expect(regexp.MustCompile(`Stopped`), EventTimeout)
	j.Sh.WaitPrompt(EventTimeout)
}

// Kill types `kill -SIG %N` (sig as "STOP", "CONT", "KILL"...).
func (j *Job) Kill(t testing.TB, sig string) string {
	t.Helper()
	return j.Sh.Command("kill -"+sig+" "+j.Spec(), CmdTimeout)
}
