package backend

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/go-delve/delve/pkg/logflags"
	"golang.org/x/sys/unix"
)

// No wait of the backend blocks without a bound. Waiting for the threads to
// stop is bounded twice: after stallAfter without any report the thread
// table is checked against the kernel's view (reconcile), and after
// stopDeadline the threads that still have not stopped are named in an
// error, so the tracer thread always comes back to take the next request
// (a detach, a Release).
const (
	stallAfter   = 500 * time.Millisecond
	stopDeadline = 20 * time.Second
)

// errStall is waitReport's answer when no report came in time.
var errStall = errors.New("no report")

// waitReport reaps the next wait status of our tracees, sleeping on SIGCHLD
// while there is none. A halt request (halt non-nil) ends the sleep with
// errHalted, and timeout (0: none) with errStall. Tracer thread only.
//
// It sleeps in tracer.sleep (sleep_linux.go). The tracer is looking from
// before its first look, so a SIGCHLD that another thread takes after
// the look is passed on to it as a poke, as is a halt posted after it
// (sendHalt).
func (p *Process) waitReport(halt <-chan struct{}, timeout time.Duration) (int, unix.WaitStatus, error) {
	var deadline time.Time
	if timeout > 0 {
		deadline = time.Now().Add(timeout)
	}
	// A report that is there already is taken without making stops send
	// SIGCHLD first (two rt_sigaction each way): the second of two reports
	// that come together (a vfork child's first stop and its parent's
	// event), or of a stop of many threads.
	if tid, ws, err := wait4(-1, true); err == nil && tid > 0 {
		return tid, ws, nil
	}
	defer wantSigchld()()
	p.tr.looking.Store(true)
	defer p.tr.looking.Store(false)
	for {
		// Forget SIGCHLDs already accounted for (other waits read the
		// channel).
		p.tr.drainSigchld()
		tid, ws, err := wait4(-1, true)
		if err == unix.ECHILD {
			// No tracee is left: the process is gone and fully reaped.
			p.postExit(p.exitStatus)
			return 0, 0, p.exitErr()
		}
		if err != nil {
			return 0, 0, fmt.Errorf("wait for process %d: %w", p.pid, err)
		}
		if tid > 0 {
			return tid, ws, nil
		}
		select {
		case <-halt:
			return 0, 0, errHalted
		default:
		}
		d := napBound
		if timeout > 0 {
			left := time.Until(deadline)
			if left <= 0 {
				return 0, 0, errStall
			}
			d = min(d, left)
		}
		p.tr.sleep(d)
	}
}

// sendHalt posts a halt token for a continue, if none is pending, and
// wakes the tracer to take it. Safe from any goroutine.
func (p *Process) sendHalt() {
	select {
	case p.haltc <- struct{}{}:
	default:
	}
	p.tr.poke()
}

// reconcile is called when stopping threads stalls: no report came for
// stallAfter while some threads are not held. Each is checked against the
// kernel's view (overdue) and what it finds is taken as a report. Tracer
// thread.
func (p *Process) reconcile(pending []*Thread) error {
	for _, th := range pending {
		if th.state == held || p.thread(th.ID) == nil {
			continue
		}
		ws, found, err := p.overdue(th)
		if err != nil {
			return err
		}
		if found {
			if err := p.stopReport(th.ID, ws); err != nil {
				return err
			}
		}
	}
	return nil
}

// overdue checks a thread whose report is late against /proc and repairs
// what the thread table got wrong, saying so in the log. It returns the
// report to take, if there is one:
//   - a report queued since our last look, taken as it is (the kernel sets
//     a stop's exit code before the task state, so once /proc shows the
//     stop, wait4 finds its report if it is there);
//   - for a thread that no longer exists, or that has exited but whose exit
//     is not reported yet (a zombie leader: delay_group_leader reports it
//     after the other threads), an exit: the thread is dropped (the leader's
//     real exit still ends the process when it comes);
//   - for a thread in a ptrace-stop whose report was not taken, that stop,
//     which PTRACE_GETSIGINFO gives back exactly (statusFromSiginfo).
//
// A thread parked by PTRACE_LISTEN is interrupted again; a thread that is
// running or sleeping is on its way to its stop and is left alone.
// Tracer thread.
func (p *Process) overdue(th *Thread) (unix.WaitStatus, bool, error) {
	const exited = unix.WaitStatus(0) // WIFEXITED, status 0
	state, err := taskState(p.pid, th.ID)
	if err != nil {
		p.repaired("thread %d of process %d no longer exists and reported no exit: dropped", th.ID, p.pid)
		return exited, true, nil
	}
	if tid, ws, err := wait4(th.ID, true); err == nil && tid > 0 {
		return ws, true, nil
	}
	switch state {
	case 'Z', 'X':
		p.repaired("thread %d of process %d has exited and its exit is not reported yet: dropped", th.ID, p.pid)
		return exited, true, nil
	case 't', 'T':
		si, err := ptraceSiginfo(th.ID)
		switch err {
		case nil:
			ws := statusFromSiginfo(si)
			p.repaired("thread %d of process %d is in a ptrace-stop (%s) whose report was not taken: taken as stopped", th.ID, p.pid, describeStatus(ws))
			return ws, true, nil
		case unix.ESRCH:
			// Listening: ptrace_check_attach refuses a JOBCTL_LISTENING
			// tracee; PTRACE_INTERRUPT re-traps it.
			if err := ptraceInterrupt(th.ID); err != nil && err != unix.ESRCH {
				return 0, false, fmt.Errorf("interrupt thread %d: %w", th.ID, err)
			}
			p.repaired("thread %d of process %d is listening and did not report our interrupt: interrupted again", th.ID, p.pid)
		default:
			return 0, false, fmt.Errorf("read the stop of thread %d: %w", th.ID, err)
		}
	}
	return 0, false, nil
}

// taskState is the state letter of thread tid of pid in /proc.
func taskState(pid, tid int) (byte, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/stat", pid, tid))
	if err != nil {
		return 0, err
	}
	// "tid (comm) S ...": comm may hold spaces and parentheses.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 || i+2 >= len(b) {
		return 0, fmt.Errorf("/proc/%d/task/%d/stat: malformed", pid, tid)
	}
	return b[i+2], nil
}

// statusFromSiginfo rebuilds the wait status of a tracee's current
// ptrace-stop from its siginfo. Stops of ptrace's own making (ptrace_notify
// and the job-control trap of a seized tracee) carry the upper bits of
// their wait status in si_code — signal | event<<8 — and a
// signal-delivery-stop is the signal alone.
func statusFromSiginfo(si siginfoHead) unix.WaitStatus {
	if si.Code > 0 && si.Code&0x7f == si.Signo {
		return unix.WaitStatus(si.Code<<8 | 0x7f)
	}
	return unix.WaitStatus(si.Signo<<8 | 0x7f)
}

func describeStatus(ws unix.WaitStatus) string {
	s := "signal " + unix.SignalName(ws.StopSignal())
	if ev := int(ws >> 16); ev != 0 {
		s += fmt.Sprintf(", ptrace event %d", ev)
	}
	return s
}

// repaired records and logs one repair of the thread table.
func (p *Process) repaired(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	p.repairsMu.Lock()
	p.repairs = append(p.repairs, msg)
	p.repairsMu.Unlock()
	logflags.DebuggerLogger().Warnf("dlv-listen backend: %s", msg)
}

// Repairs lists what the backend had to correct in its thread table when
// stopping the threads stalled: each entry says which thread and what was
// done. An empty list means the kernel's reports were complete. Safe from
// any goroutine.
func (p *Process) Repairs() []string {
	p.repairsMu.Lock()
	defer p.repairsMu.Unlock()
	return append([]string(nil), p.repairs...)
}
