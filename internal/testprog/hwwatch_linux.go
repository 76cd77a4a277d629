//go:build linux

package testprog

import (
	"bufio"
	"fmt"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/dlv-listen/dlv-listen/internal/procguard"
)

var hwProbe struct {
	once sync.Once
	err  error // why hardware watchpoints do not work here; nil if they do
}

// RequireHardwareWatchpoints skips the test when this machine does not
// deliver hardware watchpoint traps. Some virtual machines (Firecracker's
// among them) accept writes to the debug registers but never raise the
// trap: a watchpoint set by gdb never fires there either, and a test that
// waits for one hangs. The probe works below the debugger under test: raw
// ptrace arms a write watchpoint on a global that a helper program writes
// in a loop, and waits a few seconds for the trap. It runs once per test
// binary.
func RequireHardwareWatchpoints(tb testing.TB) {
	tb.Helper()
	hwProbe.once.Do(func() { hwProbe.err = probeHardwareWatchpoints(tb) })
	if hwProbe.err != nil {
		tb.Skipf("this machine does not deliver hardware watchpoint traps: %v", hwProbe.err)
	}
}

// probeHardwareWatchpoints returns nil if a write watchpoint fired.
func probeHardwareWatchpoints(tb testing.TB) error {
	bin := Build(tb, "hwprobe")
	cmd := exec.Command(bin)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return fmt.Errorf("probe: %w", err)
	}
	if err := procguard.Start(cmd); err != nil {
		return fmt.Errorf("probe: start %s: %w", bin, err)
	}
	pid := cmd.Process.Pid
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return fmt.Errorf("probe: read the address from %s: %w", bin, err)
	}
	addr, err := strconv.ParseUint(strings.TrimSpace(line), 10, 64)
	if err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return fmt.Errorf("probe: %s printed %q, not an address", bin, line)
	}
	// Every ptrace request and the waits come from one locked thread (the
	// tracer); the program's exit is reaped there too.
	res := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies with the goroutine
		res <- watchOnce(pid, addr, Timeout(3*time.Second))
		_ = unix.Kill(pid, unix.SIGKILL)
		var ws unix.WaitStatus
		_, _ = unix.Wait4(pid, &ws, unix.WALL, nil)
	}()
	err = <-res
	_ = cmd.Wait() // its status was reaped above; this only releases cmd
	return err
}

// watchOnce seizes thread pid, arms a write watchpoint on the 8 bytes at
// addr and waits up to timeout for the trap. Tracer thread.
func watchOnce(pid int, addr uint64, timeout time.Duration) error {
	if err := ptraceRaw(unix.PTRACE_SEIZE, pid, 0, 0); err != nil {
		return fmt.Errorf("probe: seize %d: %w", pid, err)
	}
	if err := ptraceRaw(unix.PTRACE_INTERRUPT, pid, 0, 0); err != nil {
		return fmt.Errorf("probe: interrupt %d: %w", pid, err)
	}
	var ws unix.WaitStatus
	if _, err := unix.Wait4(pid, &ws, unix.WALL, nil); err != nil || !ws.Stopped() {
		return fmt.Errorf("probe: %d did not stop (%v, status %#x)", pid, err, ws)
	}
	if err := armWriteWatchpoint(pid, addr); err != nil {
		return fmt.Errorf("probe: arm a watchpoint in %d: %w", pid, err)
	}
	if err := ptraceRaw(unix.PTRACE_CONT, pid, 0, 0); err != nil {
		return fmt.Errorf("probe: continue %d: %w", pid, err)
	}
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(pollInterval) {
		wpid, err := unix.Wait4(pid, &ws, unix.WALL|unix.WNOHANG, nil)
		if err != nil {
			return fmt.Errorf("probe: wait for %d: %w", pid, err)
		}
		if wpid != pid {
			continue
		}
		if ws.Stopped() && ws.StopSignal() == unix.SIGTRAP {
			return nil
		}
		if !ws.Stopped() {
			return fmt.Errorf("probe: %d ended (status %#x) before any trap", pid, ws)
		}
		// Another stop (a signal of the runtime's): deliver it, go on.
		if err := ptraceRaw(unix.PTRACE_CONT, pid, 0, uintptr(ws.StopSignal())); err != nil {
			return fmt.Errorf("probe: continue %d: %w", pid, err)
		}
	}
	return fmt.Errorf("a write watchpoint armed with ptrace on a thread writing it in a loop gave no trap within %v", timeout)
}

func ptraceRaw(req, pid int, addr, data uintptr) error {
	_, _, errno := unix.Syscall6(unix.SYS_PTRACE, uintptr(req), uintptr(pid), addr, data, 0, 0)
	if errno != 0 {
		return errno
	}
	return nil
}
