package integration

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/dlv-listen/dlv-listen/internal/testprog"
)

// TestConnectTraceCommand: Delve's trace command typed in `dlv-listen
// connect` (it sets return tracepoints through the rpc2 client type
// itself, which once made it panic there) traces calls and returns; jobs
// and detach still work over the connection.
func TestConnectTraceCommand(t *testing.T) {
	job := testprog.Start(t, "counter", "-period", "20ms", "-workers", "1")
	srv := startServer(t, "dlv-listen", dlvListen, append([]string{"attach", pidArg(job.Pid)}, headlessArgs()...)...)
	tm := connectTerm(t, "dlv-listen connect", dlvListen, srv.addr)
	tm.Command("trace main.tick", CmdTimeout)
	tm.SendLine("continue")
	tm.Expect(regexp.MustCompile(`(?m)^> goroutine\(\d+\): main\.tick\(\d+, "tick"\)`), CmdTimeout)
	tm.Expect(regexp.MustCompile(`(?m)^>> goroutine\(\d+\): main\.tick => \(\d+\)`), CmdTimeout)
	tm.Send(CtrlC)
	tm.WaitPrompt(CmdTimeout)
	if out := tm.Command("jobs", CmdTimeout); !regexpMatch(fmt.Sprintf(`process %d is running \(no job-control stop\)`, job.Pid), out) {
		t.Errorf("jobs: %q", out)
	}
	tm.SendLine("detach")
	tm.Expect(fmt.Sprintf("detached from process %d", job.Pid), CmdTimeout)
	if st := tm.Wait(CmdTimeout); st != 0 {
		t.Fatalf("dlv-listen connect exited with status %d after detach", st)
	}
	if st := srv.wait(CmdTimeout); st != 0 {
		t.Errorf("headless dlv-listen exited with status %d after detach", st)
	}
	WaitUntraced(t, job.Pid, "running", EventTimeout)
	for i := 0; i < 10; i++ {
		job.WaitAdvance(t, EventTimeout) // main.tick's entry and returns are clean
	}
}
