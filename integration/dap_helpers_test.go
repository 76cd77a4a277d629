//go:build linux

package integration

// Helpers of the DAP tests (dap_*_test.go): a DAP server binary started
// the way an editor starts it, and a client on Delve's importable
// service/dap/daptest (requests) with a reader of our own (responses and
// events with deadlines, in any order).
//
// The server under test is `dlv-listen dap` unless DLV_LISTEN_DAP_SERVER
// names another binary speaking `dlv dap` (for example stock dlv, to check
// that a test asserts what dlv does): every test but the job-control ones
// must pass against both.

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-delve/delve/service/dap/daptest"
	"github.com/google/go-dap"

	"github.com/dlv-listen/dlv-listen/internal/testprog"
)

const (
	// dapTimeout bounds one DAP round trip that normally takes
	// milliseconds (a stackTrace, a step), on a loaded machine.
	dapTimeout = 20 * time.Second
	// dapStartTimeout bounds what may build a program or load its debug
	// information: a launch, an attach, a server's start.
	dapStartTimeout = 60 * time.Second
)

var (
	dapCheckOnce sync.Once
	dapCheckErr  string
)

// dapServerBin returns the DAP server binary under test: $DLV_LISTEN_DAP_SERVER
// if set, else dlv-listen, skipping the test while dlv-listen has no dap
// subcommand.
func dapServerBin(t *testing.T) string {
	t.Helper()
	if bin := os.Getenv("DLV_LISTEN_DAP_SERVER"); bin != "" {
		return bin
	}
	return dlvListenDAP(t)
}

// dlvListenDAP returns dlv-listen, skipping the test if `dlv-listen dap`
// does not exist.
func dlvListenDAP(t *testing.T) string {
	t.Helper()
	dapCheckOnce.Do(func() {
		out, err := exec.Command(dlvListen, "dap", "--help").CombinedOutput()
		if err != nil || !strings.Contains(string(out), "--client-addr") {
			dapCheckErr = fmt.Sprintf("`dlv-listen dap --help` does not describe a dap subcommand with --client-addr (%v): %.200q", err, out)
		}
	})
	if dapCheckErr != "" {
		t.Skip("dlv-listen has no dap subcommand yet: " + dapCheckErr)
	}
	return dlvListen
}

// isStockDlv tells whether bin is Delve's dlv rather than dlv-listen.
func isStockDlv(bin string) bool { return bin != dlvListen }

// dapServer is a DAP server process started as an editor starts it.
type dapServer struct {
	name   string
	cmd    *exec.Cmd
	addr   string // where it listens (empty in reverse mode)
	term   *Term  // the pty it runs in, if any
	exited <-chan struct{}
	err    error // cmd.Wait's result once exited

	mu  sync.Mutex
	out []byte // what it wrote on stdout and stderr (pipes only)
}

// dapCmd is `bin args...` run from the module root, with Go telemetry off
// (stock dlv would leave its telemetry child behind) and a private Delve
// config, killed if the test binary dies.
func dapCmd(t testing.TB, bin string, args ...string) *exec.Cmd {
	cmd := exec.Command(bin, args...)
	cmd.Dir = moduleRoot
	cmd.Env = append(os.Environ(), NoTelemetryEnv, "XDG_CONFIG_HOME="+t.TempDir(), "TERM=xterm")
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	return cmd
}

// freeLoopbackAddr returns 127.0.0.1:<a port free just now>, as an editor
// picks the port it passes to the adapter.
func freeLoopbackAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startDAPPiped starts `bin dap args...` with stdout and stderr to a pipe
// we read and extra open files as fds 3...; stdin is a pipe we hold open
// (vscode-go), or with setsid /dev/null (nvim-dap's detached spawn). Every
// server has a session of its own under the tests (startGuarded, so the
// programs it launches die with the test binary); with no terminal in it,
// the session makes no difference to the server.
func startDAPPiped(t testing.TB, name, bin string, extra []*os.File, setsid bool, args ...string) *dapServer {
	t.Helper()
	s := &dapServer{name: name, cmd: dapCmd(t, bin, append([]string{"dap"}, args...)...)}
	s.cmd.SysProcAttr.Setsid = setsid
	s.cmd.ExtraFiles = extra
	s.cmd.Stdout = dapServerOutput{s}
	s.cmd.Stderr = dapServerOutput{s}
	if !setsid {
		stdin, err := s.cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { stdin.Close() })
	}
	s.start(t)
	return s
}

// startDAPDevNull starts `bin dap args...` with all three standard files
// /dev/null (Helix).
func startDAPDevNull(t *testing.T, name, bin string, args ...string) *dapServer {
	t.Helper()
	s := &dapServer{name: name, cmd: dapCmd(t, bin, append([]string{"dap"}, args...)...)}
	s.start(t) // nil Stdin/Stdout/Stderr: /dev/null
	return s
}

// start starts s.cmd, reaps it when it exits and registers the cleanup.
func (s *dapServer) start(t testing.TB) {
	t.Helper()
	if err := startGuarded(t, s.cmd); err != nil {
		t.Fatalf("%s: starting %v: %v", s.name, s.cmd.Args, err)
	}
	exited := make(chan struct{})
	s.exited = exited
	go func() {
		s.err = s.cmd.Wait()
		close(exited)
	}()
	s.cleanup(t)
}

// startDAPInPty starts `bin dap args...` in a new pty, as a terminal runs
// it (Zed; VS Code's integratedTerminal).
func startDAPInPty(t *testing.T, name, bin string, args ...string) *dapServer {
	t.Helper()
	cmd := dapCmd(t, bin, append([]string{"dap"}, args...)...)
	tm := StartTerm(t, name, cmd)
	s := &dapServer{name: name, cmd: cmd, term: tm, exited: tm.Exited()}
	s.cleanup(t)
	return s
}

type dapServerOutput struct{ s *dapServer }

func (o dapServerOutput) Write(p []byte) (int, error) {
	o.s.mu.Lock()
	defer o.s.mu.Unlock()
	o.s.out = append(o.s.out, p...)
	return len(p), nil
}

// output is what the server wrote so far (pipes or pty).
func (s *dapServer) output() string {
	if s.term != nil {
		return s.term.tail(1 << 20)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return string(s.out)
}

// cleanup kills what the server started (a launched program, a go build),
// then the server, unless it is gone; it logs its output if the test failed.
func (s *dapServer) cleanup(t testing.TB) {
	t.Cleanup(func() {
		select {
		case <-s.exited:
		default:
			for _, c := range Children(s.cmd.Process.Pid) {
				syscall.Kill(c, syscall.SIGKILL)
			}
			syscall.Kill(s.cmd.Process.Pid, syscall.SIGKILL)
			<-s.exited
		}
		if t.Failed() && s.term == nil {
			t.Logf("%s (pid %d) output:\n%s", s.name, s.cmd.Process.Pid, s.output())
		}
	})
}

// waitExit waits for the server to exit and returns its exit status (-1
// for a signal).
func (s *dapServer) waitExit(t testing.TB, timeout time.Duration) int {
	t.Helper()
	timeout = testprog.Timeout(timeout)
	select {
	case <-s.exited:
	case <-time.After(timeout):
		t.Fatalf("%s (pid %d) still running %v after its client left; output:\n%s", s.name, s.cmd.Process.Pid, timeout, s.output())
	}
	if s.cmd.ProcessState == nil {
		return -1
	}
	return s.cmd.ProcessState.ExitCode()
}

// launchedChild waits for the program the server launched (its child
// whose command name is comm) and returns its pid.
func (s *dapServer) launchedChild(t *testing.T, comm string) int {
	t.Helper()
	deadline := time.Now().Add(dapStartTimeout)
	for {
		for _, c := range Children(s.cmd.Process.Pid) {
			if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", c)); err == nil && strings.TrimSpace(string(b)) == comm {
				return c
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s (pid %d) has no child %q after %v", s.name, s.cmd.Process.Pid, comm, dapStartTimeout)
		}
		time.Sleep(poll)
	}
}

// dialRetry connects to addr, retrying until the server listens (what
// nvim-dap does), within dapStartTimeout.
func dialRetry(t testing.TB, s *dapServer, addr string) net.Conn {
	t.Helper()
	deadline := time.Now().Add(dapStartTimeout)
	for {
		conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err == nil {
			return conn
		}
		select {
		case <-s.exited:
			t.Fatalf("%s exited (%v) before accepting a connection on %s; output:\n%s", s.name, s.err, addr, s.output())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: cannot connect to %s within %v: %v", s.name, addr, dapStartTimeout, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// readBanner reads the first line from r (the server's fd 3 or stdout)
// within dapStartTimeout and returns the address in
// "DAP server listening at: ADDR", which VS Code Go waits for.
func readBanner(t *testing.T, s *dapServer, r *os.File) string {
	t.Helper()
	r.SetReadDeadline(time.Now().Add(testprog.Timeout(dapStartTimeout)))
	line, err := bufio.NewReader(r).ReadString('\n')
	const banner = "DAP server listening at: "
	if err != nil || !strings.HasPrefix(line, banner) {
		t.Fatalf("%s: first line on fd 3 = %q (%v), want %q...; output:\n%s", s.name, line, err, banner, s.output())
	}
	return strings.TrimSpace(strings.TrimPrefix(line, banner))
}

// dapClient is a DAP client: daptest.Client sends the requests; a reader
// goroutine decodes what comes back. Responses and events may come in any
// order (expect looks through what it set aside); output events are kept
// apart (waitOutput).
type dapClient struct {
	*daptest.Client
	t    testing.TB
	conn net.Conn
	msgs chan dap.Message

	// initArgs, if set, is what initialize sends instead of VS Code's
	// arguments.
	initArgs *dap.InitializeRequestArguments

	seq     int           // requests sent by send
	readErr error         // why msgs was closed
	backlog []dap.Message // received, not yet expected (no output events)
	all     []dap.Message // everything received, in order
	outSeen int           // output events in all consumed by waitOutput
}

// newDAPClient is a client that knows the standard messages only: an
// event it does not know (a custom one sent unasked) ends its reading.
func newDAPClient(t testing.TB, conn net.Conn) *dapClient {
	return newDAPClientCodec(t, conn, dap.NewCodec())
}

func newDAPClientCodec(t testing.TB, conn net.Conn, codec *dap.Codec) *dapClient {
	c := &dapClient{Client: daptest.NewClientFromConn(conn), t: t, conn: conn, msgs: make(chan dap.Message, 1024)}
	go func() {
		r := bufio.NewReader(conn)
		for {
			b, err := dap.ReadBaseMessage(r)
			var m dap.Message
			if err == nil {
				m, err = codec.DecodeMessage(b)
			}
			if err != nil {
				c.readErr = err
				close(c.msgs)
				return
			}
			c.msgs <- m
		}
	}()
	t.Cleanup(func() { conn.Close() })
	return c
}

// send sends a request daptest has no method for.
func (c *dapClient) send(command string, args any) {
	c.seq++
	body, err := json.Marshal(map[string]any{"seq": 1000 + c.seq, "type": "request", "command": command, "arguments": args})
	if err != nil {
		c.t.Fatal(err)
	}
	fmt.Fprintf(c.conn, "Content-Length: %d\r\n\r\n%s", len(body), body)
}

// receive waits up to timeout for the next message; ok is false on
// timeout, and the channel's closure is reported as (nil, true).
func (c *dapClient) receive(timeout time.Duration) (m dap.Message, ok bool) {
	select {
	case m, open := <-c.msgs:
		if !open {
			return nil, true
		}
		c.all = append(c.all, m)
		if _, out := m.(*dap.OutputEvent); !out {
			c.backlog = append(c.backlog, m)
		}
		return m, true
	case <-time.After(timeout):
		return nil, false
	}
}

// dapExpect returns the first message of type T received (earlier ones
// set aside included), waiting up to timeout. An error response when T is
// not one fails the test with its message.
func dapExpect[T dap.Message](c *dapClient, timeout time.Duration) T {
	c.t.Helper()
	var zero T
	timeout = testprog.Timeout(timeout)
	deadline := time.Now().Add(timeout)
	for {
		for i, m := range c.backlog {
			if v, ok := m.(T); ok {
				c.backlog = append(c.backlog[:i:i], c.backlog[i+1:]...)
				return v
			}
			if er, ok := m.(*dap.ErrorResponse); ok {
				if _, want := any(zero).(*dap.ErrorResponse); !want {
					c.t.Fatalf("waiting for %T: error response to %q: %s", zero, er.Command, dapErrorText(er))
				}
			}
		}
		m, ok := c.receive(time.Until(deadline))
		if !ok {
			c.t.Fatalf("no %T within %v; set aside: %s", zero, timeout, dapSummary(c.backlog))
		}
		if m == nil {
			c.t.Fatalf("connection closed (%v) while waiting for %T; set aside: %s", c.readErr, zero, dapSummary(c.backlog))
		}
	}
}

// waitOutput waits for an output event, after those already consumed,
// whose text matches re, and returns it.
func (c *dapClient) waitOutput(re *regexp.Regexp, timeout time.Duration) *dap.OutputEvent {
	c.t.Helper()
	timeout = testprog.Timeout(timeout)
	deadline := time.Now().Add(timeout)
	n := 0
	for {
		for _, m := range c.all {
			if o, ok := m.(*dap.OutputEvent); ok {
				n++
				if n > c.outSeen && re.MatchString(o.Body.Output) {
					c.outSeen = n
					return o
				}
			}
		}
		n = 0
		m, ok := c.receive(time.Until(deadline))
		if !ok || m == nil {
			c.t.Fatalf("no output event matching %q within %v (closed: %v); output so far: %q", re, timeout, m == nil && ok, c.outputText())
		}
	}
}

// outputText is the text of every output event received so far.
func (c *dapClient) outputText() string {
	var b strings.Builder
	for _, m := range c.all {
		if o, ok := m.(*dap.OutputEvent); ok {
			b.WriteString(o.Body.Output)
		}
	}
	return b.String()
}

// expectClosed waits for the server to close the connection, with no
// message other than output events and those listed in allowed.
func (c *dapClient) expectClosed(timeout time.Duration) {
	c.t.Helper()
	timeout = testprog.Timeout(timeout)
	deadline := time.Now().Add(timeout)
	for {
		m, ok := c.receive(time.Until(deadline))
		if !ok {
			c.t.Fatalf("the server did not close the connection within %v", timeout)
		}
		if m == nil {
			return
		}
	}
}

func dapErrorText(er *dap.ErrorResponse) string {
	s := er.Message
	if er.Body.Error != nil {
		s += fmt.Sprintf(" [id %d] %s", er.Body.Error.Id, er.Body.Error.Format)
	}
	return s
}

func dapSummary(ms []dap.Message) string {
	var parts []string
	for _, m := range ms {
		switch v := m.(type) {
		case *dap.ErrorResponse:
			parts = append(parts, "error response: "+dapErrorText(v))
		case *dap.StoppedEvent:
			parts = append(parts, fmt.Sprintf("stopped(%s %q)", v.Body.Reason, v.Body.Description))
		default:
			parts = append(parts, fmt.Sprintf("%T", m))
		}
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// initialize sends what VS Code sends (or c.initArgs) and returns the
// capabilities.
func (c *dapClient) initialize() *dap.InitializeResponse {
	c.t.Helper()
	if c.initArgs != nil {
		c.InitializeRequestWithArgs(*c.initArgs)
		return dapExpect[*dap.InitializeResponse](c, dapTimeout)
	}
	c.InitializeRequestWithArgs(dap.InitializeRequestArguments{
		ClientID:                     "vscode",
		ClientName:                   "Visual Studio Code",
		AdapterID:                    "go",
		Locale:                       "en",
		LinesStartAt1:                true,
		ColumnsStartAt1:              true,
		PathFormat:                   "path",
		SupportsVariableType:         true,
		SupportsVariablePaging:       true,
		SupportsRunInTerminalRequest: true,
		SupportsMemoryReferences:     true,
		SupportsProgressReporting:    true,
		SupportsInvalidatedEvent:     true,
	})
	return dapExpect[*dap.InitializeResponse](c, dapTimeout)
}

// dapprogLines are the lines of the marker comments in dapprog's source.
type dapprogLines struct {
	file                 string
	callInner, afterCall int // in work
	innerEntry           int // the line of func inner
}

func dapprogSource(t testing.TB) dapprogLines {
	t.Helper()
	file := filepath.Join(moduleRoot, "internal/testprog/src/dapprog/main.go")
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	l := dapprogLines{file: file}
	for i, s := range strings.Split(string(b), "\n") {
		switch {
		case strings.HasSuffix(s, "// work: call inner"):
			l.callInner = i + 1
		case strings.HasSuffix(s, "// work: after inner"):
			l.afterCall = i + 1
		case strings.HasSuffix(s, "// inner: entry"):
			l.innerEntry = i + 1
		}
	}
	if l.callInner == 0 || l.afterCall == 0 || l.innerEntry == 0 {
		t.Fatalf("%s: marker comments not found", file)
	}
	return l
}

// dapprogBin is the dapprog binary (built once per run).
func dapprogBin(t *testing.T) string { return testprog.Build(t, "dapprog") }

// evalInt evaluates expr in frame and returns it as an integer.
func (c *dapClient) evalInt(expr string, frame int) int {
	c.t.Helper()
	c.EvaluateRequest(expr, frame, "watch")
	r := dapExpect[*dap.EvaluateResponse](c, dapTimeout)
	n, err := strconv.Atoi(r.Body.Result)
	if err != nil {
		c.t.Fatalf("evaluate %q = %q, want an integer", expr, r.Body.Result)
	}
	return n
}

// listenLoopback listens on a free loopback port, as VS Code does for a
// server started with --client-addr.
func listenLoopback(t *testing.T) *net.TCPListener {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l.(*net.TCPListener)
}

// clientAddr is the --client-addr vscode-go passes for l: ":PORT".
func clientAddr(l *net.TCPListener) string {
	return fmt.Sprintf(":%d", l.Addr().(*net.TCPAddr).Port)
}

// acceptDeadline accepts the connection the server dials in reverse mode.
func acceptDeadline(t *testing.T, l *net.TCPListener, s *dapServer) net.Conn {
	t.Helper()
	l.SetDeadline(time.Now().Add(testprog.Timeout(dapStartTimeout)))
	conn, err := l.Accept()
	if err != nil {
		t.Fatalf("%s did not dial %s within %v: %v; output:\n%s", s.name, l.Addr(), dapStartTimeout, err, s.output())
	}
	return conn
}
