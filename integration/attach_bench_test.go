//go:build linux

package integration

// The terminal's attach against stock dlv's, in the same run: from
// starting `<debugger> attach <pid>` in a pty to its first prompt, which is
// what a person waits for. BenchmarkHeadless/attach times the same thing
// to the first State of a headless server.
//
//	go test -run '^$' -bench TerminalAttach -benchtime 20x ./integration/

import (
	"testing"
	"time"

	"github.com/dlv-listen/dlv-listen/internal/testprog"
)

func BenchmarkTerminalAttach(b *testing.B) {
	flavors := [2]Flavor{FlavorStockDlv, FlavorDlvListen}
	StockDlv(b) // install (or skip) before anything is timed
	DlvListen(b)
	// One program per debugger, settled before stock dlv attaches (see
	// testprog.WaitSettled): each debugger finds its program as it left
	// it.
	var jobs [2]*testprog.Job
	for k := range jobs {
		jobs[k] = testprog.Start(b, "counter", "-workers", "0")
		jobs[k].WaitSettled(b)
	}
	interleave(b, 0, func(k int) {
		d := Attach(b, jobs[k].Pid, DebuggerOptions{Flavor: flavors[k], Settled: true})
		b.StopTimer()
		d.Detach(b)
		waitUntracedPid(b, jobs[k].Pid, 5*time.Second)
		b.StartTimer()
	})
}
