//go:build linux

package testprog

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dlv-listen/dlv-listen/internal/procguard"
)

// KernelCore runs the program name (-out FILE, as Start does, but with no
// jobparent) with core dumps on, and has the kernel dump it: RLIMIT_CORE
// is raised by the shell that execs it (`ulimit -c unlimited`), and a
// SIGQUIT under GOTRACEBACK=crash makes the Go runtime abort with SIGABRT,
// which dumps core. It runs in a directory of its own, where core_pattern
// "core" (or "core.%p" and the like) puts the file. It returns the binary
// and the core.
//
// It skips the test when core_pattern pipes the core to a helper or names
// another directory: the machine's settings are not changed.
func KernelCore(tb testing.TB, name string) (bin, core string) {
	tb.Helper()
	raw, err := os.ReadFile("/proc/sys/kernel/core_pattern")
	if err != nil {
		tb.Skipf("cannot read core_pattern: %v", err)
	}
	pattern := strings.TrimSpace(string(raw))
	if strings.HasPrefix(pattern, "|") || strings.Contains(pattern, "/") {
		tb.Skipf("core_pattern %q does not write a core file in the process's directory", pattern)
	}
	bin = Build(tb, name)
	dir := tb.TempDir()
	counter := filepath.Join(dir, "counter")
	cmd := exec.Command("/bin/sh", "-c", `ulimit -c unlimited && exec "$0" -out "$1"`, bin, counter)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOTRACEBACK=crash")
	if err := procguard.Start(cmd); err != nil {
		tb.Fatalf("testprog: start %s: %v", name, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	ended := false
	tb.Cleanup(func() {
		if !ended {
			_ = cmd.Process.Kill()
			<-done
		}
	})
	timeout := Timeout(10 * time.Second)
	deadline := time.Now().Add(timeout)
	for ReadCounter(counter) < 3 {
		if time.Now().After(deadline) {
			tb.Fatalf("testprog: %s did not start counting within %v", name, timeout)
		}
		time.Sleep(pollInterval)
	}
	if err := cmd.Process.Signal(syscall.SIGQUIT); err != nil {
		tb.Fatal(err)
	}
	select {
	case err = <-done:
		ended = true
	case <-time.After(timeout):
		tb.Fatalf("testprog: %s did not die of SIGQUIT within %v", name, timeout)
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) || !ee.Sys().(syscall.WaitStatus).CoreDump() {
		tb.Skipf("%s ended with %v and dumped no core (core_pattern %q)", name, err, pattern)
	}
	matches, _ := filepath.Glob(filepath.Join(dir, "core*"))
	if len(matches) != 1 {
		tb.Fatalf("testprog: core files in %s: %v (core_pattern %q)", dir, matches, pattern)
	}
	return bin, matches[0]
}
