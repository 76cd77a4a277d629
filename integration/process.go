//go:build linux

package integration

import (
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/dlv-listen/dlv-listen/internal/procguard"
)

// Spawn starts cmd outside any shell (a harness's own worker: a server a
// chaos test pauses, say), in a process group of its own, with Pdeathsig
// SIGKILL and its process group registered with the watchdog. A cleanup
// SIGKILLs the group and reaps cmd. The returned channel is closed once
// cmd has been reaped (cmd.ProcessState is then set).
func Spawn(t testing.TB, cmd *exec.Cmd) <-chan struct{} {
	t.Helper()
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	if err := procguard.Start(cmd); err != nil {
		t.Fatalf("starting %v: %v", cmd.Args, err)
	}
	pid := cmd.Process.Pid
	unwatch, err := procguard.Watch(procguard.Group, pid)
	if err != nil {
		t.Logf("%v (only Pdeathsig protects %d)", err, pid)
	}
	done := make(chan struct{})
	go func() {
		cmd.Wait()
		close(done)
	}()
	t.Cleanup(func() {
		syscall.Kill(-pid, syscall.SIGKILL)
		select {
		case <-done:
		case <-time.After(CmdTimeout):
			t.Errorf("process %d not reaped %v after SIGKILL (state %s)", pid, CmdTimeout, Describe(pid))
		}
		unwatch()
	})
	return done
}
