//go:build linux

package integration

import (
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dlv-listen/dlv-listen/internal/testprog"
)

// bashPrompt is PS1 of the test's shell.
const bashPrompt = "BASH-PROMPT> "

// startBash runs an interactive bash, with job control, in a pty.
func startBash(t *testing.T) *term {
	t.Helper()
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skipf("needs bash for its job control: %v", err)
	}
	cmd := exec.Command("bash", "--norc", "--noprofile", "-i")
	cmd.Dir = t.TempDir()
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + cmd.Dir,
		"TERM=xterm",
		"LANG=C",
		"PS1=" + bashPrompt,
		"HISTFILE=/dev/null",
		"INPUTRC=/dev/null",
	}
	sh := startTerm(t, "bash", cmd)
	sh.prompt = bashPrompt
	sh.waitPrompt(10 * time.Second)
	return sh
}

// waitJobs runs bash's `jobs` until its output matches re.
func waitJobs(t *testing.T, sh *term, re *regexp.Regexp, timeout time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		out := sh.command("jobs", cmdTimeout)
		if re.MatchString(out) {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("bash's jobs = %q after %v, want /%s/", out, timeout, re)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var (
	jobStopped = regexp.MustCompile(`(?m)^\[1\]\+\s+Stopped`)
	jobRunning = regexp.MustCompile(`(?m)^\[1\]\+\s+Running`)
)

// Scenario 6: a real `bash -i` runs the counter as a job; dlv-listen
// attached to it sees (and does not disturb) the shell's job control.
func TestBashJob(t *testing.T) {
	bin := testprog.Build(t, "counter")
	counter := counterFile(t)
	sh := startBash(t)

	out := sh.command(fmt.Sprintf("%s -out %s &", bin, counter), cmdTimeout)
	if !regexp.MustCompile(`\[1\] \d+`).MatchString(out) {
		t.Fatalf("bash did not start a job: %q", out)
	}
	out = sh.command("echo $!", cmdTimeout)
	pid, err := strconv.Atoi(strings.TrimSpace(out))
	if err != nil {
		t.Fatalf("echo $! = %q", out)
	}
	t.Cleanup(func() {
		if exe, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid)); exe == bin {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	waitAdvance(t, counter, pid, 10*time.Second)
	if pg, _ := syscall.Getpgid(pid); pg != pid {
		t.Fatalf("the counter's process group is %d, want its own (%d): bash has no job control", pg, pid)
	}
	if p := ppid(pid); p != sh.Pid() {
		t.Fatalf("the counter's parent is %d, want bash (%d)", p, sh.Pid())
	}

	dlv := startDlv(t, "attach", strconv.Itoa(pid))
	dlv.sendLine("continue")
	dlv.expect("continue\n", 5*time.Second)
	waitAdvance(t, counter, pid, 5*time.Second)

	// kill -STOP %1
	sh.command("kill -STOP %1", cmdTimeout)
	dlv.expect(stoppedRe(pid, "SIGSTOP"), 2*time.Second)
	out = waitJobs(t, sh, jobStopped, 5*time.Second)
	t.Logf("after kill -STOP %%1, bash's jobs: %q", out)
	assertFrozen(t, counter, pid, 500*time.Millisecond)
	if st, _, _ := testprog.ProcStat(pid); st != 't' && st != 'T' {
		t.Errorf("state %q after SIGSTOP, want stopped", st)
	}

	// kill -CONT %1
	sh.command("kill -CONT %1", cmdTimeout)
	dlv.expect(continuedRe(pid), 2*time.Second)
	waitAdvance(t, counter, pid, 5*time.Second)
	waitJobs(t, sh, jobRunning, 5*time.Second)

	// fg, then Ctrl-Z typed into bash's terminal.
	sh.sendLine("fg")
	sh.expect("fg\n", 5*time.Second)
	deadline := time.Now().Add(5 * time.Second)
	for tpgid(pid) != pid {
		if time.Now().After(deadline) {
			t.Fatalf("after fg the terminal's foreground group is %d, want the job's %d", tpgid(pid), pid)
		}
		time.Sleep(poll)
	}
	waitAdvance(t, counter, pid, 5*time.Second)
	sh.send(ctrlZ)
	dlv.expect(stoppedRe(pid, "SIGTSTP"), 2*time.Second)
	sh.expect(jobStopped, 5*time.Second)
	sh.waitPrompt(5 * time.Second)
	assertFrozen(t, counter, pid, 500*time.Millisecond)
	waitJobs(t, sh, jobStopped, 5*time.Second)

	// bg
	out = sh.command("bg", cmdTimeout)
	if !regexp.MustCompile(`\[1\]\+ .*counter.* &`).MatchString(out) {
		t.Errorf("bg = %q", out)
	}
	dlv.expect(continuedRe(pid), 2*time.Second)
	waitAdvance(t, counter, pid, 5*time.Second)
	waitJobs(t, sh, jobRunning, 5*time.Second)

	// Ctrl-C halts: the shell sees nothing of it.
	dlv.send(ctrlC)
	dlv.waitPrompt(5 * time.Second)
	waitState(t, pid, 't', 2*time.Second)
	assertFrozen(t, counter, pid, 300*time.Millisecond)
	if out := sh.command("jobs", cmdTimeout); !jobRunning.MatchString(out) {
		t.Errorf("while dlv-listen has the job halted, bash's jobs = %q, want Running", out)
	}

	// exit, leaving the job running.
	dlv.sendLine("exit")
	dlv.expect("Would you like to kill the process? [Y/n]", cmdTimeout)
	dlv.sendLine("n")
	if st := dlv.wait(10 * time.Second); st != 0 {
		t.Errorf("dlv-listen exited with status %d, want 0", st)
	}
	waitUntraced(t, pid, "running", 5*time.Second)
	waitAdvance(t, counter, pid, 5*time.Second)
	if p := ppid(pid); p != sh.Pid() {
		t.Errorf("after dlv-listen left, the counter's parent is %d, want bash (%d)", p, sh.Pid())
	}

	// Still bash's job: bash stops and continues it.
	waitJobs(t, sh, jobRunning, 5*time.Second)
	sh.command("kill -STOP %1", cmdTimeout)
	waitJobs(t, sh, jobStopped, 5*time.Second)
	waitState(t, pid, 'T', 2*time.Second)
	assertFrozen(t, counter, pid, 300*time.Millisecond)
	sh.command("kill -CONT %1", cmdTimeout)
	waitJobs(t, sh, jobRunning, 5*time.Second)
	waitAdvance(t, counter, pid, 5*time.Second)
}
