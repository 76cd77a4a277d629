//go:build linux

package integration_test

import (
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/dlv-listen/dlv-listen/integration"
)

// jobUnderDebugger is a test of your own: a program as a job of a real
// bash, stopped by the shell while dlv-listen is attached, seen stopped by
// the shell, the kernel and the debugger, and continued.
func jobUnderDebugger(t testing.TB) {
	sh := integration.StartShell(t, "bash")
	c := integration.NewCounter(t)
	job := sh.StartJob(t, integration.Program(t, "counter")+" -out "+c.Path)
	c.Pid = job.Pid
	c.WaitAdvance(t, integration.EventTimeout) // it runs

	d := integration.Attach(t, job.Pid, integration.DebuggerOptions{})
	d.Continue(t)

	job.Kill(t, "STOP") // types kill -STOP %1
	sh.WaitJobs(t, job.StoppedRe(), integration.EventTimeout)
	d.Expect(integration.StoppedNotice(job.Pid, "SIGSTOP"), integration.EventTimeout)
	c.AssertFrozen(t, 300*time.Millisecond) // stays stopped under the debugger
	if pi, _ := integration.Proc(job.Pid); pi.State != 't' {
		t.Fatalf("state %q, want t (stopped, traced)", pi.State)
	}

	syscall.Kill(job.Pid, syscall.SIGCONT)
	d.Expect(integration.ContinuedNotice(job.Pid), integration.EventTimeout)
	c.WaitAdvance(t, integration.EventTimeout)
}

// In a test, call jobUnderDebugger(t) with your *testing.T; here, with
// the *testing.B that testing.Benchmark provides (one run: it takes longer
// than the benchmark time).
func Example() {
	ok := false
	testing.Benchmark(func(b *testing.B) {
		if b.N == 1 {
			jobUnderDebugger(b)
			ok = !b.Failed()
		}
	})
	fmt.Println("stopped and continued by the shell, seen by dlv-listen:", ok)
	// Output: stopped and continued by the shell, seen by dlv-listen: true
}
