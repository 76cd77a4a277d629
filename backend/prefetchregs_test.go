package backend

import (
	"testing"

	"github.com/go-delve/delve/pkg/proc"

	"github.com/dlv-listen/dlv-listen/internal/testprog"
)

// TestRegistersPrefetchedForAFrontEndThatReadsThemAll checks when a stop
// reads every thread's registers itself (prefetchRegisters): only after a
// stop at which a front end read a second thread's, and then the values
// are the thread's. Stops, a breakpoint hit each:
//  1. nothing asked yet: only the trapped thread's are read;
//  2. after every thread's were read at stop 1: all read at the stop;
//  3. after stop 2's reads (of what was prefetched): all read at the
//     stop, each what the tracer reads again;
//  4. after a stop at which no front end read any: only the trapped
//     thread's.
func TestRegistersPrefetchedForAFrontEndThatReadsThemAll(t *testing.T) {
	grp, p := attachInternal(t, testprog.Start(t, "counter", "-workers", "2", "-period", "0").Pid)
	addr := breakOn(t, grp.Selected, "main.tick")
	hit := func(stop int) {
		t.Helper()
		t.Logf("stop %d", stop)
		continueToBreakpoint(t, grp, addr)
	}
	// cached counts the threads whose registers are read, of all held
	// threads. Between requests: the tracer's writes happened before the
	// continue returned.
	cached := func() (n, all int) {
		for _, th := range p.threadSlice() {
			if th.state != held {
				continue
			}
			all++
			if th.cachedRegisters() != nil {
				n++
			}
		}
		return n, all
	}
	readAll := func(stop int) {
		t.Helper()
		for _, th := range grp.Selected.ThreadList() {
			if _, err := th.Registers(); err != nil {
				t.Fatalf("stop %d: registers of thread %d: %v", stop, th.ThreadID(), err)
			}
		}
	}

	hit(1)
	if n, all := cached(); all < 3 || n == all {
		t.Fatalf("stop 1: %d of %d held threads' registers read at the stop, want only the trapped thread's (and at least 3 threads)", n, all)
	}
	readAll(1)
	hit(2)
	if n, all := cached(); n != all {
		t.Fatalf("stop 2, after a front end read every thread's registers: %d of %d read at the stop, want all", n, all)
	}
	readAll(2)
	hit(3)
	if n, all := cached(); n != all {
		t.Fatalf("stop 3, after the prefetched registers were read: %d of %d read at the stop, want all", n, all)
	}
	// What was prefetched is what the tracer reads again (not through
	// Registers: no front end reads at this stop).
	for _, th := range p.threadSlice() {
		if th.state != held {
			continue
		}
		pre := th.cachedRegisters()
		var again proc.Registers
		var err error
		p.tr.do(func() {
			th.invalidateRegisters()
			again, err = th.registers()
		})
		if err != nil {
			t.Fatalf("stop 3: registers of thread %d read again: %v", th.ID, err)
		}
		if pre.PC() != again.PC() || pre.SP() != again.SP() {
			t.Fatalf("stop 3: thread %d: prefetched PC %#x SP %#x, read again %#x %#x", th.ID, pre.PC(), pre.SP(), again.PC(), again.SP())
		}
	}
	hit(4)
	if n, all := cached(); n == all {
		t.Fatalf("stop 4, after a stop at which no registers were read: all %d read at the stop, want only the trapped thread's", all)
	}
	if err := grp.Selected.ClearBreakpoint(addr); err != nil {
		t.Fatal(err)
	}
}
