//go:build linux

package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

const poll = Poll

// needGoCommand skips a test of what builds Go code at run time (dlv's
// debug and test modes) where there is no go command, as in the arm64
// virtual machine of scripts/arm64-vm-test.sh.
func needGoCommand(t *testing.T, what string) {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skipf("%s builds with the go command: %v", what, err)
	}
}

// startDlv runs dlv-listen with args in a pty, from the module root, and
// waits for its first prompt. A launched program is in dlv-listen's
// session, so the pty's cleanup kills it too.
func startDlv(t *testing.T, args ...string) *Term {
	t.Helper()
	cmd := exec.Command(dlvListen, args...)
	cmd.Dir = moduleRoot
	tm := StartTerm(t, "dlv-listen", cmd)
	tm.WaitPrompt(StartTimeout)
	return tm
}

// tpgid returns the foreground process group of pid's controlling
// terminal, -1 if pid is gone.
func tpgid(pid int) int {
	pi, err := Proc(pid)
	if err != nil {
		return -1
	}
	return pi.TPGid
}

func jobClass(st byte) string { return JobClass(st) }

var jobsLine = regexp.MustCompile(`process (\d+) is (running|stopped by SIG[A-Z]+)`)

// launchedPid returns the pid of the program dlv-listen launched: the
// process `jobs` names, which must be dlv-listen's child. It registers a
// cleanup that SIGKILLs it if it is still dlv-listen's child by then.
func launchedPid(t *testing.T, tm *Term) int {
	t.Helper()
	out := tm.Command("jobs", CmdTimeout)
	m := jobsLine.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("jobs: no job state line in %q", out)
	}
	pid, _ := strconv.Atoi(m[1])
	found := false
	for _, c := range Children(tm.Pid()) {
		found = found || c == pid
	}
	if !found {
		t.Fatalf("jobs names process %d, which is not a child of dlv-listen (%d): children %v", pid, tm.Pid(), Children(tm.Pid()))
	}
	dlvPid := tm.Pid()
	t.Cleanup(func() {
		if PPid(pid) == dlvPid {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	return pid
}

// counterLines returns the lines of `func tick(` and of its first
// statement in the counter's source.
func counterLines(t testing.TB) (funcLine, firstLine int) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(moduleRoot, "internal/testprog/src/counter/main.go"))
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range strings.Split(string(b), "\n") {
		switch strings.TrimSpace(l) {
		case "func tick(n int, label string) int {":
			funcLine = i + 1
		case "doubled := n * 2":
			if funcLine != 0 && firstLine == 0 {
				firstLine = i + 1
			}
		}
	}
	if funcLine == 0 || firstLine == 0 {
		t.Fatalf("counter/main.go: no func tick or its first statement")
	}
	return funcLine, firstLine
}

// lines is s split in lines, without empty ones.
func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	return out
}
