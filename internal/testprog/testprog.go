//go:build linux

package testprog

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dlv-listen/dlv-listen/internal/procguard"
)

const pollInterval = 5 * time.Millisecond

// StartTimeout bounds Start's wait for the program's first count (before
// the scale of Timeout). A program starting takes milliseconds, but on two
// cores shared with builds and other test binaries, exec and the first
// file write once took more than 10 s; this is the bound the integration
// harness gives a debugger to start (integration.StartTimeout).
const StartTimeout = 30 * time.Second

// Job is a debuggee started by Start, running as the child of a jobparent.
type Job struct {
	Pid       int // the target program
	ParentPid int // the jobparent (its parent, playing the shell)

	Dir         string // private temporary directory holding the files below
	Bin         string // path of the target binary
	CounterPath string // counter file written by the target
	LogPath     string // signal log (notify and tstp only; "" otherwise)
	EventsPath  string // wait statuses recorded by jobparent
	OutputPath  string // combined stdout/stderr of jobparent and target

	cmd  *exec.Cmd
	done chan struct{} // closed once cmd.Wait returned

	mu     sync.Mutex
	cursor int // index into Events() consumed by WaitEvent

	unwatch []func() // watchdog registrations, removed once killed
}

// Start builds jobparent and the program name and runs
//
//	jobparent -events DIR/events BIN -out DIR/counter [-log DIR/log] args...
//
// (-log only for notify and tstp). It returns once the target's pid is
// known and its counter has reached at least 1. A cleanup SIGKILLs the
// target, then the jobparent, and reaps the jobparent.
func Start(tb testing.TB, name string, args ...string) *Job {
	tb.Helper()
	parentBin := Build(tb, "jobparent")
	bin := Build(tb, name)
	dir := jobDir(tb)
	j := &Job{
		Dir:         dir,
		Bin:         bin,
		CounterPath: filepath.Join(dir, "counter"),
		EventsPath:  filepath.Join(dir, "events"),
		OutputPath:  filepath.Join(dir, "output"),
		done:        make(chan struct{}),
	}
	targetArgs := []string{"-out", j.CounterPath}
	if name == "notify" || name == "tstp" {
		j.LogPath = filepath.Join(dir, "log")
		targetArgs = append(targetArgs, "-log", j.LogPath)
	}
	targetArgs = append(targetArgs, args...)

	output, err := os.Create(j.OutputPath)
	if err != nil {
		tb.Fatalf("testprog: %v", err)
	}
	defer output.Close()
	j.cmd = exec.Command(parentBin, append([]string{"-events", j.EventsPath, bin}, targetArgs...)...)
	j.cmd.Dir = dir
	j.cmd.Stdout = output
	j.cmd.Stderr = output
	// Pdeathsig on jobparent, which sets its own on the target; and the
	// watchdog for the target's process group, in case the target's
	// parent-death signal cannot fire (jobparent killed between fork and
	// prctl is impossible, but a target that forks is not covered).
	if err := procguard.Start(j.cmd); err != nil {
		tb.Fatalf("testprog: starting jobparent for %s: %v", name, err)
	}
	j.ParentPid = j.cmd.Process.Pid
	unwatchParent, _ := procguard.Watch(procguard.Process, j.ParentPid)
	j.unwatch = append(j.unwatch, unwatchParent)
	go func() {
		j.cmd.Wait()
		close(j.done)
	}()
	tb.Cleanup(func() {
		j.kill()
		if tb.Failed() {
			// What the program printed (a Go runtime's fatal signal
			// report, say) and what jobparent saw of its job control.
			tb.Logf("testprog %s (pid %d): events %q; output:\n%s", name, j.Pid, j.allEvents(), j.Output())
		}
	})

	startTimeout := Timeout(StartTimeout)
	deadline := time.Now().Add(startTimeout)
	for {
		if j.Pid == 0 {
			j.Pid = j.readPid()
		}
		if j.Pid != 0 && j.Counter() >= 1 {
			unwatch, _ := procguard.Watch(procguard.Group, j.Pid)
			j.unwatch = append(j.unwatch, unwatch)
			return j
		}
		select {
		case <-j.done:
			tb.Fatalf("testprog: jobparent for %s exited early (pid %d); events %q; output:\n%s",
				name, j.Pid, j.allEvents(), j.Output())
		default:
		}
		if time.Now().After(deadline) {
			tb.Fatalf("testprog: %s did not start within %v (pid %d, counter %d); events %q; output:\n%s",
				name, startTimeout, j.Pid, j.Counter(), j.allEvents(), j.Output())
		}
		time.Sleep(pollInterval)
	}
}

// kill SIGKILLs the target (unless jobparent already reported its end),
// gives jobparent a moment to reap it, then SIGKILLs and reaps jobparent.
func (j *Job) kill() {
	defer func() {
		for _, u := range j.unwatch {
			u()
		}
	}()
	if j.Pid != 0 && !j.exited() {
		syscall.Kill(j.Pid, syscall.SIGKILL)
		select {
		case <-j.done:
		case <-time.After(2 * time.Second):
		}
	}
	select {
	case <-j.done:
		return
	default:
	}
	j.cmd.Process.Signal(syscall.SIGKILL)
	<-j.done
}

func (j *Job) exited() bool {
	for _, l := range j.Events() {
		if isExitLine(l) {
			return true
		}
	}
	return false
}

func isExitLine(l string) bool {
	return strings.HasPrefix(l, "exited ") || strings.HasPrefix(l, "signaled ")
}

func (j *Job) readPid() int {
	lines := readLines(j.EventsPath)
	if len(lines) == 0 || !strings.HasPrefix(lines[0], "pid ") {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimPrefix(lines[0], "pid "))
	if err != nil {
		return 0
	}
	return pid
}

// Output returns what jobparent and the target wrote to stdout/stderr.
func (j *Job) Output() string {
	b, _ := os.ReadFile(j.OutputPath)
	return string(b)
}

// Counter returns the target's counter, or -1 if it is missing or unparseable.
func (j *Job) Counter() int64 { return ReadCounter(j.CounterPath) }

// ReadCounter returns the counter in the file at path, or -1 if it is
// missing or unparseable.
func ReadCounter(path string) int64 {
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

// WaitAdvance waits until the counter exceeds its value at call time.
func (j *Job) WaitAdvance(tb testing.TB, timeout time.Duration) {
	tb.Helper()
	timeout = Timeout(timeout)
	start := j.Counter()
	deadline := time.Now().Add(timeout)
	for j.Counter() <= start {
		if time.Now().After(deadline) {
			tb.Fatalf("testprog: pid %d: counter stuck at %d for %v (state %q; events %q)",
				j.Pid, start, timeout, stateString(j.State()), j.Events())
		}
		time.Sleep(pollInterval)
	}
}

// AssertFrozen watches the counter for d and fails if it changes. It is an
// observation window, not a synchronisation point.
func (j *Job) AssertFrozen(tb testing.TB, d time.Duration) {
	tb.Helper()
	start := j.Counter()
	end := time.Now().Add(d)
	for {
		if c := j.Counter(); c != start {
			tb.Fatalf("testprog: pid %d: counter moved from %d to %d while it should be frozen (state %q)",
				j.Pid, start, c, stateString(j.State()))
		}
		if time.Now().After(end) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// State returns the target's state letter from /proc/<pid>/stat, 0 if gone.
func (j *Job) State() byte {
	s, _, err := ProcStat(j.Pid)
	if err != nil {
		return 0
	}
	return s
}

// WaitState waits until State() == want.
func (j *Job) WaitState(tb testing.TB, want byte, timeout time.Duration) {
	tb.Helper()
	timeout = Timeout(timeout)
	deadline := time.Now().Add(timeout)
	for {
		s := j.State()
		if s == want {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("testprog: pid %d: state %q, want %q after %v (events %q)",
				j.Pid, stateString(s), stateString(want), timeout, j.Events())
		}
		time.Sleep(pollInterval)
	}
}

// Threads returns the number of entries in /proc/<pid>/task (-1 on error).
func (j *Job) Threads() int {
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", j.Pid))
	if err != nil {
		return -1
	}
	return len(ents)
}

// Events returns the lines jobparent recorded after the "pid N" line:
// "stopped SIGxxx", "continued", "exited N", "signaled SIGxxx".
func (j *Job) Events() []string {
	lines := j.allEvents()
	if len(lines) > 0 && strings.HasPrefix(lines[0], "pid ") {
		lines = lines[1:]
	}
	return lines
}

func (j *Job) allEvents() []string { return readLines(j.EventsPath) }

// WaitEvent waits until line occurs in Events() at or after the job's
// cursor, then moves the cursor past it: waiting twice for the same line
// needs two occurrences.
func (j *Job) WaitEvent(tb testing.TB, line string, timeout time.Duration) {
	tb.Helper()
	j.mu.Lock()
	defer j.mu.Unlock()
	timeout = Timeout(timeout)
	deadline := time.Now().Add(timeout)
	for {
		ev := j.Events()
		for i := j.cursor; i < len(ev); i++ {
			if ev[i] == line {
				j.cursor = i + 1
				return
			}
		}
		if time.Now().After(deadline) {
			tb.Fatalf("testprog: pid %d: no event %q after index %d within %v; events %q (state %q)",
				j.Pid, line, j.cursor, timeout, ev, stateString(j.State()))
		}
		time.Sleep(pollInterval)
	}
}

// WaitExit waits for the "exited N" or "signaled SIGxxx" event and returns it.
func (j *Job) WaitExit(tb testing.TB, timeout time.Duration) string {
	tb.Helper()
	j.mu.Lock()
	defer j.mu.Unlock()
	timeout = Timeout(timeout)
	deadline := time.Now().Add(timeout)
	for {
		ev := j.Events()
		for i, l := range ev {
			if isExitLine(l) {
				if i+1 > j.cursor {
					j.cursor = i + 1
				}
				return l
			}
		}
		if time.Now().After(deadline) {
			tb.Fatalf("testprog: pid %d did not exit within %v; events %q (state %q, counter %d)",
				j.Pid, timeout, ev, stateString(j.State()), j.Counter())
		}
		time.Sleep(pollInterval)
	}
}

// Log returns the lines of the target's signal log (notify and tstp).
func (j *Job) Log() []string {
	if j.LogPath == "" {
		return nil
	}
	return readLines(j.LogPath)
}

// Signal sends sig to the target.
func (j *Job) Signal(tb testing.TB, sig syscall.Signal) {
	tb.Helper()
	if err := syscall.Kill(j.Pid, sig); err != nil {
		tb.Fatalf("testprog: kill(%d, %v): %v", j.Pid, sig, err)
	}
}

// ProcStat returns the state letter from /proc/<pid>/stat and the
// TracerPid from /proc/<pid>/status.
func ProcStat(pid int) (state byte, tracerPid int, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, err
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 || i+2 >= len(b) {
		return 0, 0, fmt.Errorf("malformed /proc/%d/stat: %q", pid, b)
	}
	state = b[i+2]
	st, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	for _, l := range strings.Split(string(st), "\n") {
		if v, ok := strings.CutPrefix(l, "TracerPid:"); ok {
			tracerPid, err = strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				return 0, 0, fmt.Errorf("malformed TracerPid in /proc/%d/status: %q", pid, l)
			}
			return state, tracerPid, nil
		}
	}
	return 0, 0, fmt.Errorf("no TracerPid in /proc/%d/status", pid)
}

func stateString(s byte) string {
	if s == 0 {
		return "gone"
	}
	return string(s)
}

// readLines returns the complete (newline-terminated) lines of a file.
func readLines(path string) []string {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
		b = b[:i]
	} else {
		return nil
	}
	return strings.Split(string(b), "\n")
}

// jobDir is a directory for one job's files on tmpfs when there is one: the
// programs rename their counter file every millisecond, and on a loaded
// disk a rename can block for seconds, which would look like a stop.
func jobDir(tb testing.TB) string {
	base := ""
	if st, err := os.Stat("/dev/shm"); err == nil && st.IsDir() {
		base = "/dev/shm"
	}
	dir, err := os.MkdirTemp(base, "testprog-job-")
	if err != nil {
		return tb.TempDir()
	}
	tb.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}
