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

	"github.com/dlv-listen/dlv-listen/internal/testprog"
)

// prompt is Delve's terminal prompt.
const prompt = "(dlv) "

// Keys typed into a terminal.
const (
	ctrlC = "\x03"
	ctrlZ = "\x1a"
)

// term is a program running in a pseudo-terminal, driven expect-style: a
// reader goroutine accumulates its output (ANSI escapes and carriage
// returns removed) and expect waits for text after a cursor.
type term struct {
	t      testing.TB
	name   string
	cmd    *exec.Cmd
	pty    *os.File
	prompt string // what waitPrompt and command wait for: Delve's prompt unless changed

	mu      sync.Mutex
	pending []byte // raw bytes held back: an escape sequence cut by a read
	text    []byte // cleaned output so far
	cursor  int    // index into text consumed by expect
	eof     bool   // the reader saw the end of the output
	changed chan struct{}

	exited chan struct{} // closed when cmd.Wait returned
	status error         // cmd.Wait's result, once exited
}

// startTerm starts cmd in a new pty (its own session, the pty as its
// controlling terminal; TERM=xterm unless cmd.Env is set) and registers a cleanup that SIGKILLs it, if it
// still runs, and closes the pty.
func startTerm(t testing.TB, name string, cmd *exec.Cmd) *term {
	t.Helper()
	if cmd.Env == nil {
		cmd.Env = append(os.Environ(), "TERM=xterm", "COLUMNS=", "LINES=")
	}
	f, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 60, Cols: 250})
	if err != nil {
		t.Fatalf("%s: starting %v in a pty: %v", name, cmd.Args, err)
	}
	tm := &term{
		t:       t,
		name:    name,
		prompt:  prompt,
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
			syscall.Kill(cmd.Process.Pid, syscall.SIGKILL)
			<-tm.exited
		}
		f.Close()
		<-readerDone
		if t.Failed() {
			t.Logf("%s (pid %d) output:\n%s", name, cmd.Process.Pid, tm.tail(6000))
		}
	})
	return tm
}

// Pid is the pid of the program in the pty.
func (tm *term) Pid() int { return tm.cmd.Process.Pid }

func (tm *term) read() {
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

func (tm *term) notify() {
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

// expect waits up to timeout for pattern (a substring or a
// *regexp.Regexp) in the output after the cursor, moves the cursor past
// the match and returns the match and its submatches.
func (tm *term) expect(pattern any, timeout time.Duration) []string {
	tm.t.Helper()
	m, ok := tm.tryExpect(pattern, timeout)
	if !ok {
		_, desc := matcher(pattern)
		tm.t.Fatalf("%s: no %s within %v; output after the cursor:\n%s", tm.name, desc, timeout, tm.rest())
	}
	return m
}

// tryExpect is expect without failing: ok is false on timeout, or when the
// output ended without a match.
func (tm *term) tryExpect(pattern any, timeout time.Duration) (m []string, ok bool) {
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

// rest is the output after the cursor.
func (tm *term) rest() string {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	return string(tm.text[tm.cursor:])
}

// all is the whole output so far.
func (tm *term) all() string {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	return string(tm.text)
}

// since returns the output from index i (a value of mark) on.
func (tm *term) since(i int) string {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	return string(tm.text[i:])
}

// mark returns the cursor, for since.
func (tm *term) mark() int {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	return tm.cursor
}

func (tm *term) tail(n int) string {
	s := tm.all()
	if len(s) > n {
		s = "..." + s[len(s)-n:]
	}
	return s
}

// send types s into the terminal.
func (tm *term) send(s string) {
	tm.t.Helper()
	if _, err := io.WriteString(tm.pty, s); err != nil {
		tm.t.Fatalf("%s: writing %q to the pty: %v", tm.name, s, err)
	}
}

// sendLine types line and Enter.
func (tm *term) sendLine(line string) {
	tm.t.Helper()
	tm.send(line + "\r")
}

// waitPrompt waits for the prompt after the cursor.
func (tm *term) waitPrompt(timeout time.Duration) {
	tm.t.Helper()
	tm.expect(tm.prompt, timeout)
}

// command runs one terminal command: the prompt must have been consumed
// (waitPrompt, or a previous command). It types line, waits for its echo
// and for the next prompt, and returns what was printed in between.
func (tm *term) command(line string, timeout time.Duration) string {
	tm.t.Helper()
	tm.sendLine(line)
	tm.expect(line+"\n", 5*time.Second)
	start := tm.mark()
	tm.expect(tm.prompt, timeout)
	out := tm.since(start)
	return strings.TrimSuffix(out, tm.prompt)
}

// wait waits up to timeout for the program to exit and returns its exit
// status (-1 if killed by a signal).
func (tm *term) wait(timeout time.Duration) int {
	tm.t.Helper()
	timeout = testprog.Timeout(timeout)
	select {
	case <-tm.exited:
	case <-time.After(timeout):
		tm.t.Fatalf("%s (pid %d) did not exit within %v; output after the cursor:\n%s", tm.name, tm.Pid(), timeout, tm.rest())
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
