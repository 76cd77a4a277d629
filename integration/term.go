//go:build linux

package integration

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/dlv-listen/dlv-listen/internal/procguard"
	"github.com/dlv-listen/dlv-listen/internal/testprog"
)

// DlvPrompt is Delve's terminal prompt, the default prompt of a Term.
const DlvPrompt = "(dlv) "

// Keys typed into a terminal.
const (
	CtrlC = "\x03" // the terminal sends SIGINT to its foreground group
	CtrlZ = "\x1a" // the terminal sends SIGTSTP to its foreground group
)

// Term is a program running in a pseudo-terminal of its own (its own
// session, the pty its controlling terminal), driven expect-style: a reader
// goroutine accumulates its output, with ANSI escapes and carriage returns
// removed, and Expect waits for text after a cursor.
type Term struct {
	t      testing.TB
	name   string
	cmd    *exec.Cmd
	pty    *os.File
	prompt string // what WaitPrompt and Command wait for

	mu      sync.Mutex
	pending []byte // raw bytes held back: an escape sequence cut by a read
	text    []byte // cleaned output so far
	cursor  int    // index into text consumed by Expect
	eof     bool   // the reader saw the end of the output
	changed chan struct{}

	exited chan struct{} // closed when cmd.Wait returned
	status error         // cmd.Wait's result, once exited
}

// StartTerm starts cmd in a new pty, 250 columns by 60 rows, with
// TERM=xterm unless cmd.Env is set, and DlvPrompt as its prompt (see
// SetPrompt). name labels its messages.
//
// Lifetime: cmd gets Pdeathsig SIGKILL (forked from a thread that never
// exits) and its session is registered with the watchdog, so the program
// and everything it starts in its session (a shell's jobs) are killed if
// the test binary dies. A cleanup SIGKILLs the whole session if it is
// still there when the test ends, and closes the pty; if the test failed
// it logs the end of the output.
func StartTerm(t testing.TB, name string, cmd *exec.Cmd) *Term {
	t.Helper()
	if cmd.Env == nil {
		cmd.Env = append(os.Environ(), "TERM=xterm", "COLUMNS=", "LINES=")
	}
	procguard.Prepare(cmd)
	var f *os.File
	err := procguard.Do(func() (err error) {
		f, err = pty.StartWithSize(cmd, &pty.Winsize{Rows: 60, Cols: 250})
		return err
	})
	if err != nil {
		t.Fatalf("%s: starting %v in a pty: %v", name, cmd.Args, err)
	}
	sid := cmd.Process.Pid // pty.Start makes it a session leader
	unwatch, werr := procguard.Watch(procguard.Session, sid)
	if werr != nil {
		t.Logf("%s: %v (only Pdeathsig protects its children)", name, werr)
	}
	tm := &Term{
		t:       t,
		name:    name,
		prompt:  DlvPrompt,
		cmd:     cmd,
		pty:     f,
		changed: make(chan struct{}, 1),
		exited:  make(chan struct{}),
	}
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		tm.read()
	}()
	go func() {
		tm.status = cmd.Wait()
		close(tm.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-tm.exited:
		default:
			syscall.Kill(sid, syscall.SIGKILL)
			<-tm.exited
		}
		KillSession(sid)
		unwatch()
		f.Close()
		<-readerDone
		if t.Failed() {
			t.Logf("%s (pid %d) output:\n%s", name, sid, tm.tail(6000))
		}
	})
	return tm
}

// KillSession SIGKILLs every live process of session sid, rescanning until
// none is left (at most 5 s). The harness's cleanups call it for every
// session they started.
func KillSession(sid int) {
	deadline := time.Now().Add(5 * time.Second)
	for {
		m := procguard.SessionMembers(sid)
		if len(m) == 0 || time.Now().After(deadline) {
			return
		}
		for _, pid := range m {
			syscall.Kill(pid, syscall.SIGKILL)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Pid is the pid of the program in the pty (also its session id).
func (tm *Term) Pid() int { return tm.cmd.Process.Pid }

// SetPrompt sets the text WaitPrompt and Command wait for.
func (tm *Term) SetPrompt(p string) { tm.prompt = p }

// PTY is the pty's master side, for termios (unix.IoctlGetTermios on it
// reads the terminal's settings, which Linux shares between both sides).
func (tm *Term) PTY() *os.File { return tm.pty }

// Exited is closed once the program has exited.
func (tm *Term) Exited() <-chan struct{} { return tm.exited }

func (tm *Term) read() {
	buf := make([]byte, 4096)
	for {
		n, err := tm.pty.Read(buf)
		if n > 0 {
			tm.mu.Lock()
			tm.pending = append(tm.pending, buf[:n]...)
			var clean string
			clean, tm.pending = stripANSI(tm.pending)
			tm.text = append(tm.text, clean...)
			tm.mu.Unlock()
			tm.notify()
		}
		if err != nil {
			// EIO once the last process holding the pty's other end is
			// gone, or an error after Close.
			tm.mu.Lock()
			tm.text = append(tm.text, tm.pending...)
			tm.pending = nil
			tm.eof = true
			tm.mu.Unlock()
			tm.notify()
			return
		}
	}
}

func (tm *Term) notify() {
	select {
	case tm.changed <- struct{}{}:
	default:
	}
}

// ansi matches the escape sequences a terminal program writes (CSI, OSC,
// charset and keypad selections) and the control characters that are not
// text.
var ansi = regexp.MustCompile("\x1b(?:\\[[0-?]*[ -/]*[@-~]|\\][^\x07\x1b]*(?:\x07|\x1b\\\\)|[()][0-9A-Za-z]|[=>NOc78DEHM])|[\r\x07\x00]")

// stripANSI removes escape sequences from b and returns the text, holding
// back a trailing escape sequence that is not complete yet.
func stripANSI(b []byte) (string, []byte) {
	var rest []byte
	if i := strings.LastIndexByte(string(b), '\x1b'); i >= 0 {
		tail := b[i:]
		if loc := ansi.FindIndex(tail); (loc == nil || loc[0] != 0) && len(tail) < 64 && !strings.ContainsRune(string(tail), '\n') {
			rest = append([]byte(nil), tail...)
			b = b[:i]
		}
	}
	return ansi.ReplaceAllString(string(b), ""), rest
}

// matcher finds the first occurrence of a pattern: a string is a
// substring, a *regexp.Regexp a regular expression.
func matcher(pattern any) (func(string) []int, string) {
	switch p := pattern.(type) {
	case string:
		return func(s string) []int {
			i := strings.Index(s, p)
			if i < 0 {
				return nil
			}
			return []int{i, i + len(p)}
		}, fmt.Sprintf("%q", p)
	case *regexp.Regexp:
		return p.FindStringSubmatchIndex, "/" + p.String() + "/"
	default:
		panic(fmt.Sprintf("expect: pattern of type %T", pattern))
	}
}

// Expect waits up to timeout for pattern (a substring or a
// *regexp.Regexp) in the output after the cursor, moves the cursor past
// the match and returns the match and its submatches.
func (tm *Term) Expect(pattern any, timeout time.Duration) []string {
	tm.t.Helper()
	m, ok := tm.TryExpect(pattern, timeout)
	if !ok {
		_, desc := matcher(pattern)
		tm.t.Fatalf("%s: no %s within %v; output after the cursor:\n%s", tm.name, desc, timeout, tm.Rest())
	}
	return m
}

// TryExpect is Expect without failing: ok is false on timeout, or when the
// output ended without a match.
func (tm *Term) TryExpect(pattern any, timeout time.Duration) (m []string, ok bool) {
	timeout = testprog.Timeout(timeout)
	find, _ := matcher(pattern)
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		tm.mu.Lock()
		s := string(tm.text[tm.cursor:])
		loc := find(s)
		if loc != nil {
			for i := 0; i+1 < len(loc); i += 2 {
				if loc[i] < 0 {
					m = append(m, "")
					continue
				}
				m = append(m, s[loc[i]:loc[i+1]])
			}
			tm.cursor += loc[1]
			tm.mu.Unlock()
			return m, true
		}
		eof := tm.eof
		tm.mu.Unlock()
		if eof {
			return nil, false
		}
		select {
		case <-tm.changed:
		case <-deadline.C:
			return nil, false
		}
	}
}

// Rest is the output after the cursor.
func (tm *Term) Rest() string {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	return string(tm.text[tm.cursor:])
}

// Output is the whole output so far.
func (tm *Term) Output() string {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	return string(tm.text)
}

// Since returns the output from index i (a value of Mark) on.
func (tm *Term) Since(i int) string {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	return string(tm.text[i:])
}

// Mark returns the cursor, for Since.
func (tm *Term) Mark() int {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	return tm.cursor
}

func (tm *Term) tail(n int) string {
	s := tm.Output()
	if len(s) > n {
		s = "..." + s[len(s)-n:]
	}
	return s
}

// Send types s into the terminal.
func (tm *Term) Send(s string) {
	tm.t.Helper()
	if _, err := io.WriteString(tm.pty, s); err != nil {
		tm.t.Fatalf("%s: writing %q to the pty: %v", tm.name, s, err)
	}
}

// SendLine types line and Enter.
func (tm *Term) SendLine(line string) {
	tm.t.Helper()
	tm.Send(line + "\r")
}

// WaitPrompt waits for the prompt after the cursor.
func (tm *Term) WaitPrompt(timeout time.Duration) {
	tm.t.Helper()
	tm.Expect(tm.prompt, timeout)
}

// Command runs one terminal command: the prompt must have been consumed
// (WaitPrompt, or a previous command). It types line, waits for its echo
// and for the next prompt, and returns what was printed in between.
func (tm *Term) Command(line string, timeout time.Duration) string {
	tm.t.Helper()
	tm.SendLine(line)
	tm.Expect(line+"\n", 5*time.Second)
	start := tm.Mark()
	tm.Expect(tm.prompt, timeout)
	out := tm.Since(start)
	return strings.TrimSuffix(out, tm.prompt)
}

// Wait waits up to timeout for the program to exit and returns its exit
// status (-1 if killed by a signal).
func (tm *Term) Wait(timeout time.Duration) int {
	tm.t.Helper()
	timeout = testprog.Timeout(timeout)
	select {
	case <-tm.exited:
	case <-time.After(timeout):
		tm.t.Fatalf("%s (pid %d) did not exit within %v; output after the cursor:\n%s", tm.name, tm.Pid(), timeout, tm.Rest())
	}
	var ee *exec.ExitError
	if errors.As(tm.status, &ee) {
		return ee.ExitCode()
	}
	if tm.status != nil {
		tm.t.Fatalf("%s: wait: %v", tm.name, tm.status)
	}
	return 0
}
