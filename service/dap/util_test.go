//go:build linux

package dap

import (
	"strconv"
	"syscall"
	"testing"
)

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("not a number: %q", s)
	}
	return n
}

func syscallKill(pid int) { _ = syscall.Kill(pid, syscall.SIGKILL) }

func itoa(n int) string { return strconv.Itoa(n) }
