package backend

import (
	"regexp"
	"testing"
	"time"

	"github.com/dlv-listen/dlv-listen/internal/testprog"
)

// Children of os/exec (vfork) are traced only while a breakpoint they could
// run into is planted (forkopts_linux.go): with Delve's crash breakpoints
// alone the kernel attaches none of them, nor with a user breakpoint in the
// program's own code, but every one with a breakpoint in the code they run
// before their exec, which they are then stepped over; once it is cleared
// none again. Every child lives.
func TestVforkChildrenTracedOnlyWhileEndangered(t *testing.T) {
	job := testprog.Start(t, "forker", "-fork=false", "-period", "1ms")
	grp, p := attachInternal(t, job.Pid)
	crash := 0
	p.plantMu.Lock()
	for _, bp := range p.planted {
		if crashBreakpoints[bp.FunctionName] {
			crash++
		}
	}
	p.plantMu.Unlock()
	if crash == 0 {
		t.Fatal("no crash breakpoint planted: the test would prove nothing about them")
	}
	traced := func() int {
		var n int
		p.tr.do(func() { n = p.kidsTraced })
		return n
	}
	// rounds continues until the forker has made n more children.
	rounds := func(n int64) {
		t.Helper()
		done := continueResumed(t, grp)
		c0 := job.Counter()
		deadline := time.Now().Add(testprog.Timeout(20 * time.Second))
		for job.Counter() < c0+n {
			if time.Now().After(deadline) {
				t.Fatalf("the forker made %d children of %d in %v", job.Counter()-c0, n, testprog.Timeout(20*time.Second))
			}
			time.Sleep(time.Millisecond)
		}
		if err := grp.RequestManualStop(); err != nil {
			t.Fatal(err)
		}
		if err := <-done; err != nil {
			t.Fatalf("continue: %v", err)
		}
	}
	// While the program runs free after the attach, children are traced
	// (the seize's options): count from the first stop on.
	rounds(2)
	base := traced()
	rounds(20)
	if n := traced() - base; n != 0 {
		t.Fatalf("crash breakpoints only: %d children traced, want none", n)
	}
	own := breakOn(t, grp.Selected, "main.inChild") // never run with -fork=false
	rounds(20)
	if n := traced() - base; n != 0 {
		t.Fatalf("a breakpoint in the program's own code: %d children traced, want none", n)
	}
	child := breakOn(t, grp.Selected, "syscall.runtime_AfterForkInChild") // every os/exec child runs it
	rounds(20)
	n := traced() - base
	if n < 19 {
		t.Fatalf("a breakpoint in os/exec's child code: %d children traced in 20 rounds", n)
	}
	for _, addr := range []uint64{own, child} {
		if err := grp.Selected.ClearBreakpoint(addr); err != nil {
			t.Fatal(err)
		}
	}
	rounds(20)
	if m := traced() - base; m > n+1 {
		t.Fatalf("after the breakpoints were cleared: %d more children traced", m-n)
	}
	if bad := regexp.MustCompile(`(?m)^exec \d+ (?:signal|exit [1-9]).*$`).FindAllString(job.Output(), -1); len(bad) > 0 {
		t.Fatalf("children that did not exit 0: %q", bad)
	}
}
