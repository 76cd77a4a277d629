package backend

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// MainThreadEnv makes the test binary, re-executed by
// TestTracerThreadIsNotTheMainThread, lock its main goroutine to the main
// thread in init (runtime.main keeps it there when init locked it) and run
// OwnThreadFromMain from TestMain.
const MainThreadEnv = "DLV_LISTEN_TEST_MAIN_THREAD"

func init() {
	if os.Getenv(MainThreadEnv) != "" {
		runtime.LockOSThread()
	}
}

// OwnThreadFromMain calls runOnOwnThread on the main thread and says what
// went wrong: the function ran on the main thread, or its thread did not
// end with it (Go wedges the main thread instead, and a tracer's tracees
// stay traced).
func OwnThreadFromMain() error {
	if unix.Gettid() != unix.Getpid() {
		return errors.New("TestMain does not run on the main thread: nothing is tested")
	}
	tids := make(chan int, 1)
	end := make(chan struct{})
	runOnOwnThread(func() {
		tids <- unix.Gettid()
		<-end
	})
	tid := <-tids
	if tid == unix.Getpid() {
		return fmt.Errorf("the function ran on the main thread %d", tid)
	}
	if unix.Gettid() != unix.Getpid() {
		return errors.New("the caller lost the main thread")
	}
	close(end)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(fmt.Sprintf("/proc/self/task/%d", tid)); os.IsNotExist(err) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("thread %d still exists 10s after its function returned", tid)
		}
		time.Sleep(time.Millisecond)
	}
}

// A tracer started from the main thread runs on a thread of its own, which
// ends when the tracer does (see runOnOwnThread).
func TestTracerThreadIsNotTheMainThread(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), MainThreadEnv+"=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out, err := cmd.CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "ok" {
		t.Fatalf("%s: %v; output:\n%s", MainThreadEnv, err, out)
	}
}
