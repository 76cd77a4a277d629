//go:build linux

package dap

import (
	"bufio"
	"net"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/dlv-listen/dlv-listen/internal/testprog"
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

func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

func newReader(c net.Conn) *bufio.Reader { return bufio.NewReader(c) }

func testprogBuild(t *testing.T) string { return testprog.Build(t, "dapprog") }

// killAtEnd kills pid when the test ends if it still runs.
func killAtEnd(t *testing.T, pid int) {
	t.Cleanup(func() {
		if !pidGone(pid) {
			syscallKill(pid)
		}
	})
}
