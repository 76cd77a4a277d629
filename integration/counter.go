//go:build linux

package integration

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/dlv-listen/dlv-listen/internal/testprog"
)

// Counter is a file a debuggee rewrites with an increasing decimal number
// (the programs of internal/testprog do, every millisecond, with an
// atomic rename): it tells whether the program ran, which neither
// /proc/PID/stat (a snapshot) nor the shell (its own belief) can.
type Counter struct {
	Path string
	Pid  int // the program, for messages (0 if unknown)
}

// NewCounter returns a counter file path in a fresh directory on tmpfs
// (/dev/shm) when there is one: a rename on a loaded disk can block for
// seconds, which would look like a stop. The directory is removed at the
// end of the test.
func NewCounter(t testing.TB) *Counter {
	t.Helper()
	base := ""
	if st, err := os.Stat("/dev/shm"); err == nil && st.IsDir() {
		base = "/dev/shm"
	}
	dir, err := os.MkdirTemp(base, "dlv-listen-counter-")
	if err != nil {
		t.Fatalf("counter: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return &Counter{Path: filepath.Join(dir, "counter")}
}

// Value returns the counter, -1 if the file is missing or unparseable.
func (c *Counter) Value() int64 { return testprog.ReadCounter(c.Path) }

// WaitAdvance waits until the counter exceeds its value at call time (and
// is at least 1): the program ran.
func (c *Counter) WaitAdvance(t testing.TB, timeout time.Duration) {
	t.Helper()
	start := c.Value()
	deadline := time.Now().Add(timeout)
	for {
		v := c.Value()
		if v > start && v >= 1 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("pid %d: counter %s stuck at %d for %v (state %s)", c.Pid, c.Path, v, timeout, Describe(c.Pid))
		}
		time.Sleep(Poll)
	}
}

// AssertFrozen watches the counter for d and fails if it changes: the
// program did not run. An observation window, not a synchronisation point.
func (c *Counter) AssertFrozen(t testing.TB, d time.Duration) {
	t.Helper()
	if v, moved := c.Moves(d); moved {
		t.Fatalf("pid %d: counter moved to %d while it should be frozen (state %s)", c.Pid, v, Describe(c.Pid))
	}
}

// Moves watches the counter for d and tells whether it changed, and its
// last value.
func (c *Counter) Moves(d time.Duration) (int64, bool) {
	start := c.Value()
	end := time.Now().Add(d)
	for {
		if v := c.Value(); v != start {
			return v, true
		}
		if time.Now().After(end) {
			return start, false
		}
		time.Sleep(10 * time.Millisecond)
	}
}
