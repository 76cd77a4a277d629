//go:build linux

package testprog

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"
)

// SettleQuiet is how long a program's set of threads must stay the same
// for Job.WaitSettled to call it settled. A Go program creates the threads
// it starts with within a few milliseconds of its first count on a quiet
// machine, later ones only now and then; a tenth of that window would do
// there, this is for a loaded one.
const SettleQuiet = 250 * time.Millisecond

// WaitSettled waits until the threads of process pid have stayed the same
// (the same thread ids) for quiet, polling, and reports whether they did
// within timeout (scaled by Timeout).
//
// Stock Delve attaches only after that: a debugger that attaches to a
// thread while it is inside clone(2) misses the thread being created
// (see adoptStrays in the backend, which repairs it), and under Delve that
// thread runs free and kills the program with SIGTRAP at its first
// breakpoint. A program that keeps creating threads never settles.
func WaitSettled(pid int, quiet, timeout time.Duration) bool {
	timeout = Timeout(timeout)
	deadline := time.Now().Add(timeout)
	last, since := taskIDs(pid), time.Now()
	for {
		time.Sleep(10 * time.Millisecond)
		now := taskIDs(pid)
		if now == nil {
			return false // gone
		}
		if !slices.Equal(now, last) {
			last, since = now, time.Now()
		} else if time.Since(since) >= quiet {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
	}
}

// WaitSettled waits until the program has created its threads
// (WaitSettled) and counted since, and fails tb if it does not within
// StartTimeout: start stock Delve on a program only after this.
func (j *Job) WaitSettled(tb testing.TB) {
	tb.Helper()
	if !WaitSettled(j.Pid, SettleQuiet, StartTimeout) {
		tb.Fatalf("testprog: the threads of process %d did not stay the same for %v within %v (now %d threads, state %q)",
			j.Pid, SettleQuiet, Timeout(StartTimeout), j.Threads(), stateString(j.State()))
	}
	j.WaitAdvance(tb, 5*time.Second)
}

// taskIDs is the sorted thread ids of pid, nil if it is gone.
func taskIDs(pid int) []int {
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		return nil
	}
	ids := make([]int, 0, len(ents))
	for _, e := range ents {
		if id, err := strconv.Atoi(e.Name()); err == nil {
			ids = append(ids, id)
		}
	}
	return ids // ReadDir sorts by name: the same set gives the same slice
}
