//go:build linux

package integration

import (
	"fmt"
	"golang.org/x/sys/unix"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dlv-listen/dlv-listen/internal/testprog"
)

// Flavor names a debugger the harness drives.
type Flavor string

const (
	FlavorDlvListen Flavor = "dlv-listen" // this project's binary (DlvListen)
	FlavorStockDlv  Flavor = "dlv"        // Delve StockDlvVersion (StockDlv)
)

// DebuggerOptions say which debugger to run and how.
type DebuggerOptions struct {
	Flavor Flavor // FlavorDlvListen unless set
	// Binary overrides the binary (DlvListen or StockDlv by default).
	Binary string
	// Args are the command line after the binary: "attach", "PID" by
	// default (Attach fills them in). Front ends other than the terminal
	// (--headless, dap) are started by passing their arguments here; the
	// returned Debugger's Term then shows their output, and the caller
	// connects its own client. Prompt must then be set too.
	Args []string
	// ExtraArgs are appended to Args (e.g. "--log").
	ExtraArgs []string
	// Settled says the caller has already waited for the program's
	// threads to settle (testprog.WaitSettled); Attach otherwise waits
	// for it before starting stock dlv, which takes at least
	// testprog.SettleQuiet.
	Settled bool
	// Prompt is what the debugger prints when ready for a command:
	// DlvPrompt unless set; "" with a non-terminal front end means do not
	// wait for one.
	Prompt *string
}

// Debugger is a debugger's terminal in a pty of its own: dlv-listen or
// stock dlv, driven as a user would.
type Debugger struct {
	*Term
	Flavor Flavor
	Target int // the pid it attached to (0 if unknown)
}

// Attach runs `<debugger> attach PID` in a pty and waits for its first
// prompt. The debugger runs in a private Delve configuration
// (XDG_CONFIG_HOME in a temporary directory) so no user setting changes
// what it prints.
func Attach(t testing.TB, pid int, o DebuggerOptions) *Debugger {
	t.Helper()
	if o.Args == nil {
		o.Args = []string{"attach", strconv.Itoa(pid)}
	}
	if o.Flavor == FlavorStockDlv && !o.Settled && !testprog.WaitSettled(pid, testprog.SettleQuiet, StartTimeout) {
		// Stock dlv misses a thread being created as it attaches (the
		// clone race that adoptStrays repairs in dlv-listen), and the
		// program then dies of SIGTRAP at its first breakpoint.
		t.Logf("process %d: its threads did not stay the same for %v; stock dlv may lose one being created", pid, testprog.SettleQuiet)
	}
	d := StartDebugger(t, o)
	d.Target = pid
	return d
}

// StartDebugger runs a debugger with o.Args in a pty, from a temporary
// directory, and waits for its prompt (see DebuggerOptions.Prompt).
func StartDebugger(t testing.TB, o DebuggerOptions) *Debugger {
	t.Helper()
	if o.Flavor == "" {
		o.Flavor = FlavorDlvListen
	}
	bin := o.Binary
	if bin == "" {
		switch o.Flavor {
		case FlavorDlvListen:
			bin = DlvListen(t)
		case FlavorStockDlv:
			bin = StockDlv(t)
		default:
			t.Fatalf("StartDebugger: unknown flavor %q", o.Flavor)
		}
	}
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "config"), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, append(append([]string(nil), o.Args...), o.ExtraArgs...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "TERM=xterm", "COLUMNS=", "LINES=", "XDG_CONFIG_HOME="+filepath.Join(dir, "config"), NoTelemetryEnv)
	d := &Debugger{Term: StartTerm(t, string(o.Flavor), cmd), Flavor: o.Flavor}
	prompt := DlvPrompt
	if o.Prompt != nil {
		prompt = *o.Prompt
	}
	d.SetPrompt(prompt)
	if prompt != "" {
		d.WaitPrompt(StartTimeout)
	}
	return d
}

// Announces tells whether the debugger prints job-control notices
// (dlv-listen does; stock dlv has none).
func (d *Debugger) Announces() bool { return d.Flavor == FlavorDlvListen }

// Continue types `continue` and returns once it is echoed and the
// terminal is out of the line editor's raw mode: the command runs until a
// breakpoint, Halt, or the end of the process.
//
// The line editor (liner, in dlv and dlv-listen alike) reads the line with
// ISIG off and echoes the newline before it restores the terminal's mode:
// a Ctrl-C typed in between is a byte of input, not a SIGINT (n_tty makes
// a signal of it only while ISIG is set). A person cannot type that fast;
// a test can, so it waits for ISIG.
func (d *Debugger) Continue(t testing.TB) {
	t.Helper()
	d.SendLine("continue")
	d.Expect("continue\n", 5*time.Second)
	echoed := d.Mark()
	deadline := time.Now().Add(5 * time.Second)
	for {
		tio, err := unix.IoctlGetTermios(int(d.PTY().Fd()), unix.TCGETS)
		if err != nil || tio.Lflag&unix.ISIG != 0 {
			return
		}
		// Or the command is over already (a breakpoint right away) and
		// the line editor reads the next line: the caller's Expect sees it.
		if p := d.prompt; p != "" && strings.Contains(d.Since(echoed), p) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: the terminal did not leave raw mode within 5s of continue", d.Flavor)
		}
		time.Sleep(100 * time.Microsecond)
	}
}

// Halt types Ctrl-C and waits for the prompt.
func (d *Debugger) Halt(t testing.TB) {
	t.Helper()
	d.Send(CtrlC)
	d.WaitPrompt(CmdTimeout)
}

// Break sets a breakpoint at loc and fails the test unless it is set.
func (d *Debugger) Break(t testing.TB, loc string) string {
	t.Helper()
	out := d.Command("break "+loc, CmdTimeout)
	if !strings.Contains(out, " set at ") {
		t.Fatalf("%s: break %s: %q", d.Flavor, loc, out)
	}
	return out
}

// Detach leaves the process as it is: `exit`, answering "n" to "kill the
// process?", and waits for the debugger to exit with status 0.
func (d *Debugger) Detach(t testing.TB) {
	t.Helper()
	d.SendLine("exit")
	d.Expect("Would you like to kill the process? [Y/n]", CmdTimeout)
	d.SendLine("n")
	if st := d.Wait(CmdTimeout); st != 0 {
		t.Errorf("%s exited with status %d after exit/n, want 0", d.Flavor, st)
	}
}

// Signal sends sig to the debugger process itself.
func (d *Debugger) Signal(t testing.TB, sig syscall.Signal) {
	t.Helper()
	if err := syscall.Kill(d.Pid(), sig); err != nil {
		t.Fatalf("kill(%d, %v): %v", d.Pid(), sig, err)
	}
}

// Job-control notices dlv-listen prints.

// StoppedNotice matches "process PID stopped by SIG (job control)...".
func StoppedNotice(pid int, sig string) *regexp.Regexp {
	return regexp.MustCompile(fmt.Sprintf(`process %d stopped by %s \(job control\); it stays stopped until SIGCONT`, pid, sig))
}

// ContinuedNotice matches "process PID continued (SIGCONT)".
func ContinuedNotice(pid int) *regexp.Regexp {
	return regexp.MustCompile(fmt.Sprintf(`process %d continued \(SIGCONT\)`, pid))
}

// ExpectNotice waits for a notice if the debugger announces job control
// (see Announces) and does nothing otherwise.
func (d *Debugger) ExpectNotice(t testing.TB, re *regexp.Regexp) {
	t.Helper()
	if d.Announces() {
		d.Expect(re, EventTimeout)
	}
}
