package procguard

import (
	"os/exec"
	"runtime"
	"sync"
	"syscall"
)

// spawner runs functions on one OS thread that never exits: the thread a
// Pdeathsig child is tied to (PR_SET_PDEATHSIG fires when the forking
// thread exits, not the process).
var spawner struct {
	once sync.Once
	reqs chan func()
}

// Do runs fn on the spawning thread and returns its result. Use it for
// anything that forks a child prepared with Prepare (exec.Cmd.Start,
// pty.Start).
func Do(fn func() error) error {
	spawner.once.Do(func() {
		spawner.reqs = make(chan func())
		go func() {
			// Never unlocked and never returning: the thread lives as long
			// as the process.
			runtime.LockOSThread()
			for f := range spawner.reqs {
				f()
			}
		}()
	})
	done := make(chan error, 1)
	spawner.reqs <- func() { done <- fn() }
	return <-done
}

// Prepare sets cmd's parent-death signal to SIGKILL, keeping any other
// SysProcAttr setting.
func Prepare(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
}

// Start prepares cmd (Prepare) and starts it on the spawning thread.
func Start(cmd *exec.Cmd) error {
	Prepare(cmd)
	return Do(cmd.Start)
}
