package debugger

// What the DAP server needs to show every process of a session (a launched
// program and the children it follows, or the members of an attached job):
// the editor's requests name a goroutine of one process, and Delve's
// Client answers for the selected process only.

import (
	"fmt"

	"github.com/go-delve/delve/pkg/proc"
)

// SelectProcess makes process pid the selected one, whose goroutines,
// stacks and variables the Client's calls then read. Unlike SwitchThread
// (what `target switch` does), it keeps the process's current thread and
// selected goroutine as the last stop left them. The error names pid when
// the session has no such live process.
func (d *Debugger) SelectProcess(pid int) error {
	d.targetMu.Lock()
	defer d.targetMu.Unlock()
	for it := (proc.ValidTargets{Group: d.grp}); it.Next(); {
		if it.Pid() == pid {
			d.grp.Selected = it.Target
			return nil
		}
	}
	return fmt.Errorf("process %d is not debugged in this session (exited or let go)", pid)
}

// ThreadPids maps each thread of the session's live processes to the pid
// of its process (thread ids are unique across processes, goroutine ids
// are not).
func (d *Debugger) ThreadPids() map[int]int {
	d.targetMu.Lock()
	defer d.targetMu.Unlock()
	out := map[int]int{}
	for it := (proc.ValidTargets{Group: d.grp}); it.Next(); {
		for _, th := range it.ThreadList() {
			out[th.ThreadID()] = it.Pid()
		}
	}
	return out
}

// LivePids lists the pids of the session's live processes, the first one
// (attached or launched) first: cheaper than ListTargets, which reads each
// process's current thread.
func (d *Debugger) LivePids() []int {
	d.targetMu.Lock()
	defer d.targetMu.Unlock()
	var out []int
	for it := (proc.ValidTargets{Group: d.grp}); it.Next(); {
		out = append(out, it.Pid())
	}
	return out
}
