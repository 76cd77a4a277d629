package backend

import (
	"testing"
	"time"

	"github.com/go-delve/delve/pkg/proc"

	"github.com/dlv-listen/dlv-listen/internal/testprog"
)

// TestInFlightHitsSettledLate has four threads call main.hot without
// pause, with a breakpoint there: at many stops some thread has executed
// the int3 but reported the stop request first, its SIGTRAP still queued.
// Such stops are settled late (settle_linux.go). Two ways must hold:
//   - a front end that reads the registers after the stop sees every
//     thread on an instruction boundary, never one past the int3 (the
//     thread is put back on the breakpoint), and every continue stops on
//     the breakpoint;
//   - the breakpoint erased right after the stop, registers unread, then
//     continues: no thread takes a stale SIGTRAP (it would kill the
//     program) and the program runs on.
func TestInFlightHitsSettledLate(t *testing.T) {
	job := testprog.Start(t, "counter", "-hot", "4", "-workers", "0")
	grp, p := attachInternal(t, job.Pid)
	tgt := grp.Selected
	addr := funcEntry(t, tgt, "main.hot")
	past := addr + uint64(p.bi.Arch.BreakpointSize())
	set := func() {
		t.Helper()
		if _, err := tgt.SetBreakpoint(0, addr, proc.UserBreakpoint, nil); err != nil {
			t.Fatal(err)
		}
	}
	hit := func() {
		t.Helper()
		continueToBreakpoint(t, grp, addr)
	}

	set()
	for i := 0; i < 150; i++ {
		hit()
		for _, th := range tgt.ThreadList() {
			regs, err := th.Registers()
			if err != nil {
				t.Fatalf("registers of thread %d: %v", th.ThreadID(), err)
			}
			if p.bi.Arch.BreakInstrMovesPC() && regs.PC() == past {
				t.Fatalf("stop %d: thread %d shown past the int3 at %#x", i, th.ThreadID(), addr)
			}
		}
	}
	readLate := p.lateTraps

	for i := 0; i < 150; i++ {
		hit()
		if err := tgt.ClearBreakpoint(addr); err != nil {
			t.Fatalf("clear: %v", err)
		}
		done := continueResumed(t, grp)
		job.WaitAdvance(t, testprog.Timeout(5*time.Second))
		if err := grp.RequestManualStop(); err != nil {
			t.Fatal(err)
		}
		if err := <-done; err != nil {
			t.Fatalf("round %d: continue with the breakpoint erased: %v", i, err)
		}
		set()
	}
	t.Logf("hits in flight settled late: %d while registers were read, %d before an erase", readLate, p.lateTraps-readLate)
	if err := tgt.ClearBreakpoint(addr); err != nil {
		t.Fatal(err)
	}
	if err := grp.Detach(false); err != nil {
		t.Fatalf("detach: %v", err)
	}
	job.WaitAdvance(t, testprog.Timeout(5*time.Second))
}
