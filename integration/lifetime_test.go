//go:build linux

package integration

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dlv-listen/dlv-listen/internal/procguard"
)

const victimEnv = "DLV_LISTEN_HARNESS_VICTIM"

// TestHarnessVictim is run by TestNothingOutlivesTheTestBinary in a child
// test binary: a bash with a job, dlv-listen attached to it in a continue,
// and a spawned server; it prints their pids and waits to be killed.
func TestHarnessVictim(t *testing.T) {
	if os.Getenv(victimEnv) != "1" {
		t.Skip("helper of TestNothingOutlivesTheTestBinary")
	}
	sh := StartShell(t, "bash")
	j := startProgJob(t, sh, "")
	d := Attach(t, j.Pid, DebuggerOptions{})
	d.Continue(t)
	srv := exec.Command(Program(t, "jobprog"), "-out", NewCounter(t).Path)
	Spawn(t, srv)
	fmt.Printf("victim pids %d %d %d %d\n", sh.Pid(), j.Pid, d.Pid(), srv.Process.Pid)
	select {} // until SIGKILLed: no cleanup runs
}

// TestNothingOutlivesTheTestBinary SIGKILLs a test binary in the middle of
// a harness session (a shell, its job under dlv-listen, a spawned
// program) and checks every one of those processes dies with it.
func TestNothingOutlivesTheTestBinary(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestHarnessVictim$", "-test.count=1", "-test.timeout=2m")
	cmd.Env = append(os.Environ(), victimEnv+"=1", BinEnv+"="+DlvListen(t))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := procguard.Start(cmd); err != nil {
		t.Fatal(err)
	}
	var pids []int
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if f, ok := strings.CutPrefix(sc.Text(), "victim pids "); ok {
			for _, s := range strings.Fields(f) {
				n, _ := strconv.Atoi(s)
				pids = append(pids, n)
			}
			break
		}
	}
	if len(pids) != 4 {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("the victim printed no pids")
	}
	t.Cleanup(func() {
		for _, p := range pids {
			syscall.Kill(p, syscall.SIGKILL)
		}
	})
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	killed := time.Now()
	names := []string{"bash", "its job", "dlv-listen", "the spawned program"}
	for i, p := range pids {
		WaitGone(t, p, 10*time.Second)
		t.Logf("%s (%d) gone", names[i], p)
	}
	t.Logf("all gone %v after the test binary's SIGKILL", time.Since(killed).Round(time.Millisecond))
}
