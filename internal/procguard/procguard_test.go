package procguard_test

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

// victimEnv makes TestVictim play a test binary that starts a session
// (bash running a background grandchild) and then dies by SIGKILL, with no
// cleanup run.
const victimEnv = "PROCGUARD_TEST_VICTIM"

func TestVictim(t *testing.T) {
	if os.Getenv(victimEnv) != "1" {
		t.Skip("helper for TestNothingOutlivesTheBinary")
	}
	// A shell in a session of its own, its job in a process group of its
	// own (as an interactive shell's job is): Pdeathsig reaches the shell
	// only.
	cmd := exec.Command("bash", "-c", "set -m; sleep 300 & echo $!; wait")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := procguard.Start(cmd); err != nil {
		t.Fatal(err)
	}
	if _, err := procguard.Watch(procguard.Session, cmd.Process.Pid); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	if !sc.Scan() {
		t.Fatal("bash printed no pid")
	}
	// Only now, registered: the parent kills us when it reads this.
	fmt.Printf("grandchild %s\n", sc.Text())
	// Our own death, the way a test binary is killed: no cleanup runs.
	time.Sleep(time.Hour) // replaced by the parent's SIGKILL
}

// TestNothingOutlivesTheBinary runs TestVictim in a child test binary,
// SIGKILLs that binary once its shell's grandchild runs, and checks the
// grandchild (which no Pdeathsig covers) is killed by the watchdog.
func TestNothingOutlivesTheBinary(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestVictim$", "-test.count=1")
	cmd.Env = append(os.Environ(), victimEnv+"=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := procguard.Start(cmd); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	grandchild := 0
	for sc.Scan() {
		if n, err := strconv.Atoi(strings.TrimPrefix(sc.Text(), "grandchild ")); err == nil && strings.HasPrefix(sc.Text(), "grandchild ") {
			grandchild = n
			break
		}
	}
	if grandchild == 0 {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatal("the victim printed no grandchild pid")
	}
	t.Cleanup(func() { syscall.Kill(grandchild, syscall.SIGKILL) })
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	start := time.Now()
	deadline := start.Add(10 * time.Second)
	for alive(grandchild) {
		if time.Now().After(deadline) {
			ps, _ := exec.Command("ps", "-eo", "pid,ppid,pgid,sid,stat,cmd").Output()
			t.Logf("%s", ps)
			t.Fatalf("grandchild %d (sleep under the victim's bash) still alive 10s after the test binary was SIGKILLed", grandchild)
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Logf("grandchild %d gone %v after the test binary's SIGKILL", grandchild, time.Since(start).Round(time.Millisecond))
}

// alive tells whether pid exists and is not a zombie.
func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	i := strings.LastIndexByte(string(b), ')')
	return i > 0 && i+2 < len(b) && b[i+2] != 'Z' && b[i+2] != 'X'
}
