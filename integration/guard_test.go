//go:build linux

package integration

import (
	"os/exec"
	"syscall"
	"testing"

	"github.com/dlv-listen/dlv-listen/internal/procguard"
)

// startGuarded starts a debugger server (dlv-listen or stock dlv) in a
// session of its own, with Pdeathsig, and registers the session with the
// watchdog: what the server starts (a launched program in its own process
// group, a go build) is in that session, and dies with it if the test
// binary dies before its cleanups run. The registration is removed last,
// after the test's own cleanups.
func startGuarded(t testing.TB, cmd *exec.Cmd) error {
	t.Helper()
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setsid = true
	if err := procguard.Start(cmd); err != nil {
		return err
	}
	unwatch, err := procguard.Watch(procguard.Session, cmd.Process.Pid)
	if err != nil {
		t.Logf("%v (only Pdeathsig protects %d)", err, cmd.Process.Pid)
	}
	t.Cleanup(unwatch)
	return nil
}
