//go:build linux

package integration

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dlv-listen/dlv-listen/internal/testprog"
)

const (
	poll = 5 * time.Millisecond

	// Generous bounds for things that normally take milliseconds: loading
	// a binary's debug information, a command's round trip.
	startTimeout = 30 * time.Second
	cmdTimeout   = 15 * time.Second
)

// startDlv runs dlv-listen with args in a pty, from the module root, and
// waits for its first prompt.
func startDlv(t *testing.T, args ...string) *term {
	t.Helper()
	cmd := exec.Command(dlvListen, args...)
	cmd.Dir = moduleRoot
	tm := startTerm(t, "dlv-listen", cmd)
	// Before the pty's cleanup kills dlv-listen: its children (a launched
	// program, a go build) would otherwise run on, detached.
	t.Cleanup(func() {
		select {
		case <-tm.exited:
		default:
			for _, c := range children(tm.Pid()) {
				syscall.Kill(c, syscall.SIGKILL)
			}
		}
	})
	tm.waitPrompt(startTimeout)
	return tm
}

// counterFile is a file for a counter to write, on tmpfs when there is one
// (see testprog's jobDir: a rename on a loaded disk can block for
// seconds, which would look like a stop).
func counterFile(t *testing.T) string {
	t.Helper()
	base := ""
	if st, err := os.Stat("/dev/shm"); err == nil && st.IsDir() {
		base = "/dev/shm"
	}
	dir, err := os.MkdirTemp(base, "dlv-listen-integration-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return filepath.Join(dir, "counter")
}

// readCounter returns the counter in path, -1 if missing or unparseable.
func readCounter(path string) int64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return -1
	}
	n, err := strconv.ParseInt(string(bytes.TrimSpace(b)), 10, 64)
	if err != nil {
		return -1
	}
	return n
}

// waitAdvance waits until the counter in path exceeds its value at call
// time (and is at least 1).
func waitAdvance(t *testing.T, path string, pid int, timeout time.Duration) {
	timeout = testprog.Timeout(timeout)
	t.Helper()
	start := readCounter(path)
	deadline := time.Now().Add(timeout)
	for {
		c := readCounter(path)
		if c > start && c >= 1 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("pid %d: counter %s stuck at %d for %v (state %s)", pid, path, c, timeout, stateOf(pid))
		}
		time.Sleep(poll)
	}
}

// assertFrozen watches the counter in path for d and fails if it changes.
// An observation window, not a synchronisation point.
func assertFrozen(t *testing.T, path string, pid int, d time.Duration) {
	t.Helper()
	start := readCounter(path)
	end := time.Now().Add(d)
	for {
		if c := readCounter(path); c != start {
			t.Fatalf("pid %d: counter moved from %d to %d while it should be frozen (state %s)", pid, start, c, stateOf(pid))
		}
		if time.Now().After(end) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stateOf describes pid's /proc state and tracer, for messages.
func stateOf(pid int) string {
	st, tracer, err := testprog.ProcStat(pid)
	if err != nil {
		return "gone"
	}
	return fmt.Sprintf("%q, TracerPid %d", st, tracer)
}

// waitState waits until pid's state letter in /proc/<pid>/stat is want.
func waitState(t *testing.T, pid int, want byte, timeout time.Duration) {
	timeout = testprog.Timeout(timeout)
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		st, _, err := testprog.ProcStat(pid)
		if err == nil && st == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("pid %d: state %s, want %q after %v", pid, stateOf(pid), want, timeout)
		}
		time.Sleep(poll)
	}
}

// waitUntraced waits until pid has no tracer and its state is of class
// ("running", "stopped"; see jobClass). The two are read from two files,
// and a detached tracee passes through transient states (the kernel wakes
// a group-stopped one to re-enter its stop), so both are polled together.
func waitUntraced(t *testing.T, pid int, class string, timeout time.Duration) {
	timeout = testprog.Timeout(timeout)
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		st, tracer, err := testprog.ProcStat(pid)
		if err != nil {
			t.Fatalf("pid %d is gone, want it alive and untraced", pid)
		}
		if tracer == 0 && jobClass(st) == class {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("pid %d: %s after %v, want it untraced and %s", pid, stateOf(pid), timeout, class)
		}
		time.Sleep(poll)
	}
}

// jobClass groups /proc states: running (R, S, D, I), stopped (T), traced
// (t).
func jobClass(st byte) string {
	switch st {
	case 'R', 'S', 'D', 'I':
		return "running"
	case 'T':
		return "stopped"
	case 't':
		return "traced"
	}
	return string(st)
}

// waitGone waits until pid has exited (gone, or a zombie nobody reaps).
func waitGone(t *testing.T, pid int, timeout time.Duration) {
	timeout = testprog.Timeout(timeout)
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		st, _, err := testprog.ProcStat(pid)
		if err != nil || st == 'Z' || st == 'X' {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("pid %d still alive after %v (%s)", pid, timeout, stateOf(pid))
		}
		time.Sleep(poll)
	}
}

// tgid returns the process (thread group) of thread tid, 0 if it is gone.
// TracerPid names the tracer's thread, not its process.
func tgid(tid int) int { return statusField(tid, "Tgid:") }

// ppid returns pid's parent from /proc/<pid>/status, 0 if it is gone.
func ppid(pid int) int { return statusField(pid, "PPid:") }

func statusField(pid int, field string) int {
	if pid <= 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, field); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			return n
		}
	}
	return 0
}

// children returns the pids whose parent is pid, from every
// /proc/<n>/status (zombies included).
func children(pid int) []int {
	var out []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		n, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if ppid(n) == pid {
			out = append(out, n)
		}
	}
	return out
}

// tpgid returns the foreground process group of pid's controlling
// terminal (/proc/<pid>/stat field 8), -1 on error.
func tpgid(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return -1
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return -1
	}
	f := strings.Fields(string(b[i+1:]))
	// state ppid pgrp session tty_nr tpgid
	if len(f) < 6 {
		return -1
	}
	n, err := strconv.Atoi(f[5])
	if err != nil {
		return -1
	}
	return n
}

// Job-control announcements.
func stoppedRe(pid int, sig string) *regexp.Regexp {
	return regexp.MustCompile(fmt.Sprintf(`process %d stopped by %s \(job control\); it stays stopped until SIGCONT`, pid, sig))
}

func continuedRe(pid int) *regexp.Regexp {
	return regexp.MustCompile(fmt.Sprintf(`process %d continued \(SIGCONT\)`, pid))
}

var jobsLine = regexp.MustCompile(`process (\d+) is (running|stopped by SIG[A-Z]+)`)

// launchedPid returns the pid of the program dlv-listen launched: the
// process `jobs` names, which must be dlv-listen's child. It registers a
// cleanup that SIGKILLs it if it is still dlv-listen's child by then.
func launchedPid(t *testing.T, tm *term) int {
	t.Helper()
	out := tm.command("jobs", cmdTimeout)
	m := jobsLine.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("jobs: no job state line in %q", out)
	}
	pid, _ := strconv.Atoi(m[1])
	found := false
	for _, c := range children(tm.Pid()) {
		found = found || c == pid
	}
	if !found {
		t.Fatalf("jobs names process %d, which is not a child of dlv-listen (%d): children %v", pid, tm.Pid(), children(tm.Pid()))
	}
	dlvPid := tm.Pid()
	t.Cleanup(func() {
		if ppid(pid) == dlvPid {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	return pid
}

// counterLines returns the lines of `func tick(` and of its first
// statement in the counter's source.
func counterLines(t *testing.T) (funcLine, firstLine int) {
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
