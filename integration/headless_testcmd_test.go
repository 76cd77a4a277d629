//go:build linux

package integration

// `dlv-listen test [package]` in the terminal, as `dlv test`: the package's
// test binary is built with optimizations off and run with the test flags
// given after --.

import (
	"regexp"
	"testing"
	"time"
)

func TestTestCommand(t *testing.T) {
	needGoCommand(t, "dlv-listen test")
	tm := startDlv(t, "test", "./integration/testdata/twotests", "--", "-test.run", "^TestBeta$")
	tm.Command("break twotests.alpha", CmdTimeout)
	tm.Command("break twotests.beta", CmdTimeout)
	out := tm.Command("continue", CmdTimeout)
	if !regexp.MustCompile(`> \[Breakpoint 2\] \S*twotests\.beta\(\) \S*twotests_test\.go:\d+`).MatchString(out) {
		t.Fatalf("continue: not at the breakpoint in beta (TestBeta): %q", out)
	}
	if out := tm.Command("print n", CmdTimeout); !regexp.MustCompile(`^\s*2\s*$`).MatchString(out) {
		t.Errorf("print n in beta: %q, want 2", out)
	}
	// -test.run ran TestBeta only: alpha's breakpoint is never hit.
	out = tm.Command("continue", CmdTimeout)
	if !regexp.MustCompile(`Process \d+ has exited with status 0`).MatchString(out) || regexp.MustCompile(`Breakpoint 1\]`).MatchString(out) {
		t.Fatalf("second continue: want the test binary to exit 0 without reaching alpha: %q", out)
	}
	tm.SendLine("exit")
	if st := tm.Wait(10 * time.Second); st != 0 {
		t.Errorf("dlv-listen exited with status %d", st)
	}
}
