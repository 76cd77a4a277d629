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
	tm := startDlv(t, "test", "./integration/testdata/twotests", "--", "-test.run", "^TestBeta$")
	tm.command("break twotests.alpha", cmdTimeout)
	tm.command("break twotests.beta", cmdTimeout)
	out := tm.command("continue", cmdTimeout)
	if !regexp.MustCompile(`> \[Breakpoint 2\] \S*twotests\.beta\(\) \S*twotests_test\.go:\d+`).MatchString(out) {
		t.Fatalf("continue: not at the breakpoint in beta (TestBeta): %q", out)
	}
	if out := tm.command("print n", cmdTimeout); !regexp.MustCompile(`^\s*2\s*$`).MatchString(out) {
		t.Errorf("print n in beta: %q, want 2", out)
	}
	// -test.run ran TestBeta only: alpha's breakpoint is never hit.
	out = tm.command("continue", cmdTimeout)
	if !regexp.MustCompile(`Process \d+ has exited with status 0`).MatchString(out) || regexp.MustCompile(`Breakpoint 1\]`).MatchString(out) {
		t.Fatalf("second continue: want the test binary to exit 0 without reaching alpha: %q", out)
	}
	tm.sendLine("exit")
	if st := tm.wait(10 * time.Second); st != 0 {
		t.Errorf("dlv-listen exited with status %d", st)
	}
}
