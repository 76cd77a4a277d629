//go:build linux

package integration

// Tests that run stock Delve, as a reference or as a server, must not fail
// for stock Delve's own bugs. Stock dlv is started only on a settled
// program (testprog.WaitSettled: its threads created, so its attach
// cannot meet the clone race that kills a program with SIGTRAP), and when
// a reference run fails because stock dlv did — its debuggee died under
// it, or it crashed — the test is skipped with a message that says so.

import (
	"bytes"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/dlv-listen/dlv-listen/internal/testprog"
)

// withStockReference runs body, in which stock dlv serves as the
// reference, and passes or fails t as body did, except that a failure for
// which stockFailed (given the first failure message) names a failure of
// stock dlv itself skips t, with both messages. stockFailed runs after
// body, before t's cleanups.
func withStockReference(t *testing.T, body func(testing.TB), stockFailed func(msg string) string) {
	t.Helper()
	o := Try(t, body)
	switch {
	case o.OK:
		return
	case o.Skipped:
		t.Skip(o.Msg)
	}
	if why := stockFailed(o.Msg); why != "" {
		t.Skipf("stock dlv %s failed, not dlv-listen: %s (the test's failure that followed: %s)", StockDlvVersion, why, o.Msg)
	}
	t.Fatalf("%s", o.Msg)
}

// crashRe matches what a Go program that crashed prints.
var crashRe = regexp.MustCompile(`(?m)^(panic: |fatal error: |SIG[A-Z]+: )`)

// stockDebuggeeDied names the end of the debuggee if it ended while stock
// dlv debugged it, "" if it lives.
func stockDebuggeeDied(job *testprog.Job) string {
	end := ""
	if st := job.State(); st == 0 || st == 'Z' || st == 'X' {
		// Gone. A zombie still traced by stock dlv is not reaped, and so
		// not seen by jobparent, until stock dlv reaps it: its wait
		// status is in /proc.
		end = "ended"
		if ws, ok := zombieStatus(job.Pid); ok {
			end = describeWait(ws)
		}
		deadline := time.Now().Add(testprog.Timeout(EventTimeout))
		for !slices.ContainsFunc(job.Events(), isEndEvent) && st != 'Z' && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
	}
	if i := slices.IndexFunc(job.Events(), isEndEvent); i >= 0 {
		end = job.Events()[i]
	}
	if end == "" {
		return ""
	}
	msg := fmt.Sprintf("its debuggee %d ended (%s) while stock dlv debugged it", job.Pid, end)
	if end == "signaled SIGTRAP" {
		msg += " (a thread the debugger did not trace met a breakpoint: the clone race of attach)"
	}
	return msg
}

// zombieStatus is the wait status of a zombie, from /proc/PID/stat's
// exit_code (field 52, Linux 3.5).
func zombieStatus(pid int) (syscall.WaitStatus, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(string(b[i+1:])) // from field 3, the state
	if len(f) < 50 {
		return 0, false
	}
	n, err := strconv.Atoi(f[49])
	return syscall.WaitStatus(n), err == nil
}

// describeWait says a wait status as jobparent records it.
func describeWait(ws syscall.WaitStatus) string {
	if ws.Signaled() {
		return "signaled " + unix.SignalName(ws.Signal())
	}
	return fmt.Sprintf("exited %d", ws.ExitStatus())
}

// isEndEvent tells whether a jobparent event is the program's end.
func isEndEvent(ev string) bool {
	return strings.HasPrefix(ev, "signaled ") || strings.HasPrefix(ev, "exited ")
}

// stockCrashed names a crash in a stock dlv's output, "" if none.
func stockCrashed(name, output string) string {
	if loc := crashRe.FindStringIndex(output); loc != nil {
		line, _, _ := strings.Cut(output[loc[0]:], "\n")
		return fmt.Sprintf("%s crashed: %s", name, line)
	}
	return ""
}

// stockNoBanner names the failure of startServer when the stock dlv it
// started as name exited without serving (it could not attach, say).
func stockNoBanner(name, msg string) string {
	if strings.HasPrefix(msg, name+" exited (") {
		line, _, _ := strings.Cut(msg, "\n")
		return "stock dlv did not start serving: " + line
	}
	return ""
}

// firstOf returns the first non-empty result of checks.
func firstOf(checks ...func() string) string {
	for _, c := range checks {
		if s := c(); s != "" {
			return s
		}
	}
	return ""
}
