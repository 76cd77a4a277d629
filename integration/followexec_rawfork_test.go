//go:build linux

package integration

// A child made by a raw fork(2) without exec has a copy of its parent's
// memory, breakpoints included. The forker's fork children run
// main.inChild, which the parent never runs: with a breakpoint there, the
// child must not run into it. dlv-listen takes the breakpoints out of the
// child and lets it go (it exits 7, inChild's result); stock dlv does not
// trace forks, and the child dies of SIGTRAP.

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dlv-listen/dlv-listen/internal/testprog"
)

// forkLineRe is the forker's line for a raw-fork child it reaped.
var forkLineRe = regexp.MustCompile(`(?m)^fork (\d+) (.*)$`)

// forkEnds returns how the forker's fork children of rounds >= from ended.
func forkEnds(job *testprog.Job, from int) []string {
	var r []string
	for _, m := range forkLineRe.FindAllStringSubmatch(job.Output(), -1) {
		if n, _ := strconv.Atoi(m[1]); n >= from {
			r = append(r, m[0])
		}
	}
	return r
}

// rawForkRun attaches the debugger of flavor f to a forker making only raw
// fork children, sets a breakpoint on main.inChild, continues while the
// forker makes rounds children, detaches, and returns how the children
// made meanwhile ended. attached is set once the debugger is attached.
func rawForkRun(t testing.TB, f Flavor, rounds int, attached *bool) []string {
	t.Helper()
	job := testprog.Start(t, "forker", "-exec=false", "-period", "5ms")
	if f == FlavorStockDlv {
		job.WaitSettled(t)
	}
	d := Attach(t, job.Pid, DebuggerOptions{Flavor: f, Settled: true})
	*attached = true
	d.Break(t, "main.inChild")
	from := int(job.Counter()) + 2 // rounds that may have begun before the breakpoint do not count
	d.Continue(t)
	deadline := time.Now().Add(testprog.Timeout(StartTimeout))
	for job.Counter() < int64(from+rounds) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: the forker did not make %d rounds within %v (at %d, state %s)", f, rounds, StartTimeout, job.Counter(), Describe(job.Pid))
		}
		time.Sleep(Poll)
	}
	d.Halt(t)
	d.Command("clearall", CmdTimeout)
	d.Detach(t)
	WaitUntraced(t, job.Pid, "running", EventTimeout)
	job.WaitAdvance(t, EventTimeout)
	ends := forkEnds(job, from)
	if len(ends) < rounds {
		t.Fatalf("%s: %d fork children reported since round %d, want at least %d: %q", f, len(ends), from, rounds, ends)
	}
	return ends
}

func TestRawForkChildWithParentBreakpoint(t *testing.T) {
	const rounds = 10
	t.Run("dlv-listen", func(t *testing.T) {
		var attached bool
		for _, l := range rawForkRun(t, FlavorDlvListen, rounds, &attached) {
			if !strings.HasSuffix(l, " exit 7") {
				t.Errorf("under dlv-listen: %q, want exit 7 (inChild ran to its end)", l)
			}
		}
	})
	t.Run("stock dlv", func(t *testing.T) {
		StockDlv(t)
		var attached bool
		var ends []string
		o := Try(t, func(tb testing.TB) { ends = rawForkRun(tb, FlavorStockDlv, rounds, &attached) })
		switch {
		case o.Skipped:
			t.Skip(o.Msg)
		case !o.OK && !attached:
			t.Skipf("stock dlv %s could not attach to the forker (not dlv-listen's failure): %s", StockDlvVersion, o.Msg)
		case !o.OK:
			t.Fatalf("with stock dlv: %s", o.Msg)
		}
		died := 0
		for _, l := range ends {
			if strings.HasSuffix(l, " signal trace/breakpoint trap") {
				died++
			}
		}
		t.Logf("under stock dlv %s: %d of the %d fork children reported since the breakpoint was set died of SIGTRAP (the last ones ran after clearall and the detach): %q", StockDlvVersion, died, len(ends), ends)
		if died == 0 {
			t.Errorf("no fork child died under stock dlv: the comparison no longer holds (%q)", ends)
		}
	})
}
