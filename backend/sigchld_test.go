package backend

import (
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/dlv-listen/dlv-listen/internal/testprog"
)

// noCldStop reads whether SIGCHLD's action has SA_NOCLDSTOP.
func noCldStop(t *testing.T) bool {
	var sa kernelSigaction
	if _, _, e := unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(unix.SIGCHLD), 0, uintptr(unsafe.Pointer(&sa)), 8, 0, 0); e != 0 {
		t.Fatalf("rt_sigaction: %v", e)
	}
	return sa.flags&saNoCldStop != 0
}

// TestSigchldOnlyWhileAsleep: ptrace-stops send this process SIGCHLD
// only while a tracer sleeps on it (a continue waiting for the program),
// not while every thread is held and nobody waits; the continue still
// wakes for the halt and for a breakpoint.
func TestSigchldOnlyWhileAsleep(t *testing.T) {
	job := testprog.Start(t, "counter", "-period", "1ms")
	grp, _ := attachInternal(t, job.Pid)
	if !noCldStop(t) {
		t.Errorf("SA_NOCLDSTOP not set after the attach, with no tracer asleep")
	}
	done := continueResumed(t, grp)
	deadline := time.Now().Add(testprog.Timeout(5 * time.Second))
	for noCldStop(t) {
		if time.Now().After(deadline) {
			t.Fatal("SA_NOCLDSTOP still set while the continue waits for the program")
		}
		time.Sleep(time.Millisecond)
	}
	if err := grp.RequestManualStop(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("halted continue: %v", err)
	}
	if !noCldStop(t) {
		t.Errorf("SA_NOCLDSTOP not set again after the halt")
	}
	if err := grp.Detach(false); err != nil {
		t.Fatalf("detach: %v", err)
	}
	job.WaitAdvance(t, testprog.Timeout(5*time.Second))
}
