//go:build linux

package integration

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Poll is how often the Wait helpers re-read what they wait for.
const Poll = 5 * time.Millisecond

// ProcInfo is the kernel's view of one process, from /proc/PID/stat and
// /proc/PID/status.
type ProcInfo struct {
	Pid int
	// State is the state letter: R running, S sleeping, D disk sleep, T
	// stopped (job control, untraced), t tracing stop (a tracer holds it,
	// or it is in a group-stop while traced), Z zombie.
	State     byte
	PPid      int
	Pgrp      int
	Session   int
	TPGid     int // foreground process group of its controlling terminal
	TracerPid int // a thread id of the tracer (not its process; see Tgid)
	Threads   int
	// Signal masks, as /proc/PID/status prints them (hexadecimal, bit n-1
	// for signal n): pending for the thread group (ShdPnd) and the main
	// thread (SigPnd), blocked, ignored and caught.
	ShdPnd, SigPnd, SigBlk, SigIgn, SigCgt uint64
}

// Proc reads the kernel's view of pid. The error says which file could not
// be read or parsed (the process is gone, most often).
func Proc(pid int) (ProcInfo, error) {
	pi := ProcInfo{Pid: pid}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return pi, err
	}
	i := bytes.LastIndexByte(b, ')')
	f := strings.Fields(string(b[i+1:]))
	if i < 0 || len(f) < 6 {
		return pi, fmt.Errorf("malformed /proc/%d/stat: %q", pid, b)
	}
	pi.State = f[0][0]
	pi.PPid, _ = strconv.Atoi(f[1])
	pi.Pgrp, _ = strconv.Atoi(f[2])
	pi.Session, _ = strconv.Atoi(f[3])
	pi.TPGid, _ = strconv.Atoi(f[5])
	st, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return pi, err
	}
	seen := 0
	for _, l := range strings.Split(string(st), "\n") {
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		hex := func(dst *uint64) {
			*dst, _ = strconv.ParseUint(v, 16, 64)
			seen++
		}
		switch k {
		case "TracerPid":
			pi.TracerPid, err = strconv.Atoi(v)
			if err != nil {
				return pi, fmt.Errorf("malformed TracerPid in /proc/%d/status: %q", pid, l)
			}
			seen++
		case "Threads":
			pi.Threads, _ = strconv.Atoi(v)
		case "ShdPnd":
			hex(&pi.ShdPnd)
		case "SigPnd":
			hex(&pi.SigPnd)
		case "SigBlk":
			hex(&pi.SigBlk)
		case "SigIgn":
			hex(&pi.SigIgn)
		case "SigCgt":
			hex(&pi.SigCgt)
		}
	}
	if seen < 6 {
		return pi, fmt.Errorf("/proc/%d/status lacks TracerPid or a signal mask", pid)
	}
	return pi, nil
}

// Has tells whether signal sig (1-64) is in mask.
func Has(mask uint64, sig int) bool { return sig >= 1 && sig <= 64 && mask&(1<<(sig-1)) != 0 }

// Class groups state letters: "running" (R, S, D, I), "stopped" (T),
// "traced" (t), "gone" (Z, X, or no process).
func (pi ProcInfo) Class() string { return JobClass(pi.State) }

// JobClass groups a state letter as ProcInfo.Class does.
func JobClass(st byte) string {
	switch st {
	case 'R', 'S', 'D', 'I':
		return "running"
	case 'T':
		return "stopped"
	case 't':
		return "traced"
	case 0, 'Z', 'X':
		return "gone"
	}
	return string(st)
}

// Describe is a one-line description of pid's state and tracer, for
// messages: `"T", TracerPid 0`, or "gone".
func Describe(pid int) string {
	pi, err := Proc(pid)
	if err != nil {
		return "gone"
	}
	return fmt.Sprintf("%q, TracerPid %d", pi.State, pi.TracerPid)
}

// WaitProc polls pid's ProcInfo until ok returns true, or fails the test
// after timeout saying what it waited for (want). A process that is gone
// is passed to ok as a zero ProcInfo with State 0.
func WaitProc(t testing.TB, pid int, want string, timeout time.Duration, ok func(ProcInfo) bool) ProcInfo {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		pi, err := Proc(pid)
		if err != nil {
			pi = ProcInfo{Pid: pid}
		}
		if ok(pi) {
			return pi
		}
		if time.Now().After(deadline) {
			t.Fatalf("pid %d: %s after %v, want %s", pid, Describe(pid), timeout, want)
		}
		time.Sleep(Poll)
	}
}

// WaitState waits until pid's state letter is want.
func WaitState(t testing.TB, pid int, want byte, timeout time.Duration) {
	t.Helper()
	WaitProc(t, pid, fmt.Sprintf("state %q", want), timeout, func(pi ProcInfo) bool { return pi.State == want })
}

// WaitUntraced waits until pid has no tracer and its state is of class
// ("running" or "stopped"). A detached tracee passes through transient
// states (the kernel wakes a group-stopped one to re-enter its stop), so
// both are polled together.
func WaitUntraced(t testing.TB, pid int, class string, timeout time.Duration) {
	t.Helper()
	WaitProc(t, pid, "untraced and "+class, timeout, func(pi ProcInfo) bool {
		if pi.State == 0 {
			t.Fatalf("pid %d is gone, want it alive, untraced and %s", pid, class)
		}
		return pi.TracerPid == 0 && pi.Class() == class
	})
}

// WaitGone waits until pid has exited (gone, or a zombie nobody reaped yet).
func WaitGone(t testing.TB, pid int, timeout time.Duration) {
	t.Helper()
	WaitProc(t, pid, "gone", timeout, func(pi ProcInfo) bool { return pi.Class() == "gone" })
}

// Tgid returns the process (thread group) of thread tid, 0 if it is gone.
// TracerPid names the tracer's thread, not its process.
func Tgid(tid int) int { return statusField(tid, "Tgid:") }

// PPid returns pid's parent, 0 if it is gone.
func PPid(pid int) int { return statusField(pid, "PPid:") }

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

// Children returns the pids whose parent is pid (zombies included).
func Children(pid int) []int {
	return pidsWhere(func(n int) bool { return PPid(n) == pid })
}

// pidsWhere lists the processes in /proc that keep accepts.
func pidsWhere(keep func(pid int) bool) []int {
	var out []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		if n, err := strconv.Atoi(e.Name()); err == nil && keep(n) {
			out = append(out, n)
		}
	}
	return out
}

// WaitAllThreads waits until every thread of pid is in state want ('t',
// 'T'): a stop reaches the threads one by one, and a thread that was
// inside a system call finishes it first (a write the program was making
// lands after its first thread stopped).
func WaitAllThreads(t testing.TB, pid int, want byte, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
		all := err == nil && len(tasks) > 0
		for _, task := range tasks {
			b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/stat", pid, task.Name()))
			i := bytes.LastIndexByte(b, ')')
			if err != nil || i < 0 || i+2 >= len(b) || b[i+2] != want {
				all = false
				break
			}
		}
		if all {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("pid %d: not every thread in state %q after %v:\n%s", pid, want, timeout, KernelView(pid))
		}
		time.Sleep(Poll)
	}
}

// TracedBy tells whether pid is traced by a thread of process tracer.
func TracedBy(pid, tracer int) bool {
	pi, err := Proc(pid)
	return err == nil && pi.TracerPid != 0 && Tgid(pi.TracerPid) == tracer
}

// KernelView describes, for a failing test's log, what the kernel says
// about each process: every thread's state letter and wait channel, its
// tracer, and its pending and blocked signals. A job-control test that
// fails because a shell or a debugger did not see a change needs exactly
// this to tell which side missed it (a thread still held in a
// ptrace-stop, a SIGCHLD pending but blocked in the shell).
func KernelView(pids ...int) string {
	var b strings.Builder
	for _, pid := range pids {
		tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
		if err != nil {
			fmt.Fprintf(&b, "process %d: gone\n", pid)
			continue
		}
		fmt.Fprintf(&b, "process %d (parent %d):\n", pid, PPid(pid))
		for _, task := range tasks {
			dir := fmt.Sprintf("/proc/%d/task/%s/", pid, task.Name())
			wchan, _ := os.ReadFile(dir + "wchan")
			status, _ := os.ReadFile(dir + "status")
			fields := []string{"thread " + task.Name(), "wchan " + string(wchan)}
			for _, l := range strings.Split(string(status), "\n") {
				name, value, ok := strings.Cut(l, ":")
				switch {
				case !ok:
				case name == "State" || name == "TracerPid" || name == "SigPnd" || name == "ShdPnd" || name == "SigBlk":
					fields = append(fields, name+" "+strings.TrimSpace(value))
				}
			}
			fmt.Fprintf(&b, "  %s\n", strings.Join(fields, ", "))
		}
	}
	return b.String()
}

// groupMembers lists the live processes (not gone, not zombies) of
// process group pgid.
func groupMembers(pgid int) []int {
	return pidsWhere(func(n int) bool {
		pi, err := Proc(n)
		return err == nil && pi.Pgrp == pgid && pi.State != 'Z'
	})
}

// KidsDir returns a directory for the files the children of the debuggee
// whose process group *pgid will be write. Killing the debuggee does not
// end the children it started: the directory's cleanup, which runs after
// the debuggee's (registered later), first waits until no process of the
// group is alive, so none writes into the directory as it is removed.
func KidsDir(t testing.TB, pgid *int) string {
	dir := t.TempDir()
	t.Cleanup(func() {
		deadline := time.Now().Add(EventTimeout)
		for *pgid != 0 && len(groupMembers(*pgid)) > 0 && time.Now().Before(deadline) {
			time.Sleep(Poll)
		}
	})
	return dir
}
