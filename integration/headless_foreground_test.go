//go:build linux

package integration

// A headless exec or debug in a terminal gives the program the terminal's
// foreground, as dlv does without --tty (cmd/dlv/cmds: Foreground:
// headless && tty == "", and native.Launch then starts the program in a
// process group of its own that owns the terminal): the server has no
// prompt to give it back to, so Ctrl-Z and Ctrl-C typed there reach the
// program, as with a program a shell runs.

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/go-delve/delve/service/rpc2"

	"github.com/dlv-listen/dlv-listen/internal/testprog"
	"github.com/dlv-listen/dlv-listen/service/jobapi"
	"github.com/dlv-listen/dlv-listen/service/listener"
)

func TestHeadlessForeground(t *testing.T) {
	t.Run("exec", func(t *testing.T) {
		headlessForeground(t, "exec", testprog.Build(t, "counter"))
	})
	t.Run("debug", func(t *testing.T) {
		if _, err := exec.LookPath(GoTool()); err != nil {
			t.Skipf("debug builds with the go command: %v", err)
		}
		headlessForeground(t, "debug", "./internal/testprog/src/counter", "--output", filepath.Join(t.TempDir(), "counter"))
	})
}

// headlessForeground runs `dlv-listen <command> <args...> --headless` on
// the counter in a pty and checks the program owns the terminal.
func headlessForeground(t *testing.T, command string, args ...string) {
	counter := NewCounter(t)
	argv := append(append([]string{command}, args...), headlessArgs("--", "-out", counter.Path)...)
	cmd := exec.Command(dlvListen, argv...)
	cmd.Dir = moduleRoot
	cmd.Env = append(os.Environ(), "TERM=dumb", "XDG_CONFIG_HOME="+t.TempDir())
	tm := StartTerm(t, "dlv-listen "+command+" --headless", cmd)
	tm.SetPrompt("")
	addr := tm.Expect(bannerRe, StartTimeout)[1]
	conn, err := listener.Dial(addr)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { conn.Close() })
	c := rpc2.NewClientFromConn(conn)
	pid := c.ProcessPid()
	serverPgrp, _ := syscall.Getpgid(tm.Pid())

	// Held at its entry, the program already owns the terminal.
	if pi, err := Proc(pid); err != nil || pi.Pgrp != pid || pi.TPGid != pid {
		t.Fatalf("launched program %d: process group %d, terminal's foreground group %d (%v); want both %d (dlv-listen's group is %d)",
			pid, pi.Pgrp, pi.TPGid, err, pid, serverPgrp)
	}

	cont := c.Continue()
	counter.WaitAdvance(t, EventTimeout)
	if fg := tpgid(pid); fg != pid {
		t.Errorf("while the program runs the terminal's foreground group is %d, want the program's %d", fg, pid)
	}

	// Ctrl-Z typed in the terminal stops the program, not the server; it
	// stays stopped (listen mode) and the client is told.
	tm.Send(CtrlZ)
	WaitAllThreads(t, pid, 't', EventTimeout)
	counter.AssertFrozen(t, 300*time.Millisecond)
	if pi, err := Proc(tm.Pid()); err != nil || pi.State == 'T' || pi.State == 't' {
		t.Errorf("dlv-listen %d: state %q after Ctrl-Z (%v), want it running", tm.Pid(), pi.State, err)
	}
	if ev := waitJobEvent(t, c, 0, jobapi.EventStopped); ev.Signal != "SIGTSTP" || ev.Pid != pid {
		t.Errorf("job event after Ctrl-Z: %+v, want process %d stopped by SIGTSTP", ev, pid)
	}

	if _, err := c.Halt(); err != nil {
		t.Fatalf("Halt: %v", err)
	}
	if st := <-cont; st.Err != nil {
		t.Fatalf("Continue after Halt: %v", st.Err)
	}
	if err := c.Detach(true); err != nil {
		t.Fatalf("Detach(kill): %v", err)
	}
	if st := tm.Wait(CmdTimeout); st != 0 {
		t.Errorf("dlv-listen exited with status %d after the client detached killing, want 0", st)
	}
	WaitProc(t, pid, "gone", CmdTimeout, func(pi ProcInfo) bool { return pi.State == 'Z' || pi.State == 0 })
}
