//go:build linux

package integration

// Helpers of the headless server tests: a headless dlv-listen or stock dlv
// run as a child with its output collected, and Delve's rpc2 client on it.

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-delve/delve/service/rpc2"

	"github.com/dlv-listen/dlv-listen/internal/testprog"
	"github.com/dlv-listen/dlv-listen/service/listener"
)

// bannerRe is dlv's banner; its group is the address.
var bannerRe = regexp.MustCompile(`API server listening at: (\S+)`)

// server is a headless debugger run as a child.
type server struct {
	t      testing.TB
	name   string
	cmd    *exec.Cmd
	addr   string // as --listen takes it (unix: prefixed for a socket)
	mu     sync.Mutex
	out    bytes.Buffer  // stdout and stderr
	wrote  chan struct{} // closed at the next write to out (then renewed)
	exited chan struct{}
	err    error
}

// newServer is the record of the server that cmd will run.
func newServer(t testing.TB, name string, cmd *exec.Cmd) *server {
	return &server{t: t, name: name, cmd: cmd, wrote: make(chan struct{}), exited: make(chan struct{})}
}

type lockedWriter struct{ s *server }

func (w lockedWriter) Write(p []byte) (int, error) {
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	close(w.s.wrote)
	w.s.wrote = make(chan struct{})
	return w.s.out.Write(p)
}

// startServer runs bin with args from the module root and waits for its
// banner. It is killed at cleanup if it is still running (and its output
// logged if the test failed).
func startServer(t testing.TB, name, bin string, args ...string) *server {
	t.Helper()
	s := newServer(t, name, exec.Command(bin, args...))
	s.cmd.Dir = moduleRoot
	s.cmd.Env = append(os.Environ(), "TERM=dumb", NoTelemetryEnv)
	s.cmd.Stdout = lockedWriter{s}
	s.cmd.Stderr = lockedWriter{s}
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := startGuarded(t, s.cmd); err != nil {
		t.Fatalf("%s: start %v: %v", name, args, err)
	}
	go func() {
		s.err = s.cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-s.exited:
		default:
			s.cmd.Process.Kill()
			<-s.exited
		}
		if t.Failed() {
			t.Logf("%s %v output:\n%s", name, args, s.output())
		}
	})
	m := s.waitOutput(bannerRe, StartTimeout)
	s.addr = m[1]
	if strings.HasPrefix(s.addr, "/") {
		s.addr = listener.UnixPrefix + s.addr
	}
	return s
}

func (s *server) output() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.String()
}

// waitOutput waits until the output matches re, for at most timeout.
func (s *server) waitOutput(re *regexp.Regexp, timeout time.Duration) []string {
	s.t.Helper()
	timeout = testprog.Timeout(timeout)
	deadline := time.Now().Add(timeout)
	// Woken by each write rather than polled: the attach benchmark times
	// the server up to its banner, and a poll period would add up to its
	// own length to each sample.
	for {
		s.mu.Lock()
		m, wrote := re.FindStringSubmatch(s.out.String()), s.wrote
		s.mu.Unlock()
		if m != nil {
			return m
		}
		select {
		case <-wrote:
		case <-s.exited:
			if m := re.FindStringSubmatch(s.output()); m != nil {
				return m
			}
			s.t.Fatalf("%s exited (%v) without printing %q; output:\n%s", s.name, s.err, re, s.output())
		case <-time.After(time.Until(deadline)):
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("%s: no %q within %v; output:\n%s", s.name, re, timeout, s.output())
		}
	}
}

// wait waits for the server to exit and returns its exit status.
func (s *server) wait(timeout time.Duration) int {
	s.t.Helper()
	timeout = testprog.Timeout(timeout)
	select {
	case <-s.exited:
	case <-time.After(timeout):
		s.t.Fatalf("%s did not exit within %v; output:\n%s", s.name, timeout, s.output())
	}
	return s.cmd.ProcessState.ExitCode()
}

// running reports whether the server still runs.
func (s *server) running() bool {
	select {
	case <-s.exited:
		return false
	default:
		return true
	}
}

// dial connects Delve's rpc2 client to s; it is closed at cleanup.
func (s *server) dial(t testing.TB) *rpc2.RPCClient {
	t.Helper()
	conn, err := listener.Dial(s.addr)
	if err != nil {
		t.Fatalf("dial %s: %v", s.addr, err)
	}
	t.Cleanup(func() { conn.Close() })
	return rpc2.NewClientFromConn(conn)
}

// rawConn is a plain connection to s for bad input, closed at cleanup.
func (s *server) rawConn(t testing.TB) net.Conn {
	t.Helper()
	conn, err := listener.Dial(s.addr)
	if err != nil {
		t.Fatalf("dial %s: %v", s.addr, err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// waitClosed reads conn until the server closes it (EOF or reset), failing
// after timeout.
func waitClosed(t testing.TB, conn net.Conn, timeout time.Duration) {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(testprog.Timeout(timeout)))
	_, err := io.Copy(io.Discard, conn)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("the server did not close the connection within %v", timeout)
	}
}

// tracerOf returns the TracerPid of pid.
func tracerOf(t testing.TB, pid int) int {
	_, tracer, err := testprog.ProcStat(pid)
	if err != nil {
		t.Fatalf("stat %d: %v", pid, err)
	}
	return tracer
}

// waitUntracedPid waits until nothing traces pid.
func waitUntracedPid(t testing.TB, pid int, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for tracerOf(t, pid) != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("process %d is still traced after %v", pid, timeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func headlessArgs(extra ...string) []string {
	return append([]string{"--headless", "--listen=127.0.0.1:0"}, extra...)
}

func pidArg(pid int) string { return fmt.Sprint(pid) }

func regexpMatch(re, s string) bool { return regexp.MustCompile(re).MatchString(s) }
