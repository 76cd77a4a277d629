//go:build linux

package dap_test

// Benchmarks of the DAP server against stock `dlv dap` (Delve v1.27.2,
// installed with `go install` and cached) in the same run, on the same
// debuggee binary (internal/testprog's dapprog, -period 0 so that it runs
// flat out between stops):
//
//   - BenchmarkDAPBreakpointRoundTrip: continue -> stopped at a breakpoint
//     hit on every loop iteration (goal: at least 2.0x dlv's hit rate);
//   - BenchmarkDAPIDERoundTrip: what an editor does at each hit: continue,
//     stopped, then threads, stackTrace, scopes and the locals' variables
//     of the top frame (goal: at least 2.0x dlv's rate);
//   - BenchmarkDAPReadMemory1MiB: a 1 MiB readMemory of dapprog's block
//     (goal: at least 2x dlv's rate).
//
// Each iteration does the operation once on each server, alternately, so
// that both see the same load on a busy machine; the benchmark reports the
// median duration of each (dlv-median-ns, ours-median-ns) and the ratio of
// the rates, x-dlv-rate (ours/dlv; -v also logs it in words). Ours is
// NewServer(...).ServeConn in this process, dlv a `dlv dap --listen`
// process; both over loopback TCP, with one session each set up before the
// timer starts.

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-delve/delve/service/dap/daptest"
	"github.com/google/go-dap"

	"github.com/dlv-listen/dlv-listen/internal/testprog"
	ourdap "github.com/dlv-listen/dlv-listen/service/dap"
)

const benchTimeout = 30 * time.Second

// benchSession is one DAP session stopped at the breakpoint in dapprog's
// work.
type benchSession struct {
	kind string // "dlv" or "ours"
	b    testing.TB
	c    *daptest.Client
	conn net.Conn
	r    *bufio.Reader
	tid  int
	// The breakpoint on work's call of inner.
	bpFile string
	bpLine int
}

func BenchmarkDAPBreakpointRoundTrip(b *testing.B) {
	dlv, ours := benchStart(b, "dlv"), benchStart(b, "ours")
	benchInterleaved(b, "continue-to-breakpoint", "breakpoint hits/s", 2.0, dlv, ours, func(s *benchSession) {
		s.c.ContinueRequest(s.tid)
		benchExpect[*dap.ContinueResponse](s)
		s.tid = benchExpect[*dap.StoppedEvent](s).Body.ThreadId
	})
}

// BenchmarkDAPIDERoundTrip times an editor's whole round trip at a
// breakpoint: VS Code, after a stopped event, asks for the threads, the
// stopped thread's stack (20 frames), the top frame's scopes and the
// locals, before the user continues; with vscode-go's default launch
// attributes (no Globals scope).
func BenchmarkDAPIDERoundTrip(b *testing.B) {
	dlv, ours := benchStartWith(b, "dlv", false), benchStartWith(b, "ours", false)
	benchInterleaved(b, "ide-round-trip", "editor round trips/s", 2.0, dlv, ours, func(s *benchSession) {
		s.c.ContinueRequest(s.tid)
		benchExpect[*dap.ContinueResponse](s)
		s.tid = benchExpect[*dap.StoppedEvent](s).Body.ThreadId
		s.c.ThreadsRequest()
		if th := benchExpect[*dap.ThreadsResponse](s).Body.Threads; len(th) == 0 {
			s.b.Fatalf("%s: no threads", s.kind)
		}
		s.c.StackTraceRequest(s.tid, 0, 20)
		frames := benchExpect[*dap.StackTraceResponse](s).Body.StackFrames
		if len(frames) == 0 {
			s.b.Fatalf("%s: empty stack", s.kind)
		}
		s.c.ScopesRequest(frames[0].Id)
		scopes := benchExpect[*dap.ScopesResponse](s).Body.Scopes
		if len(scopes) == 0 {
			s.b.Fatalf("%s: no scopes", s.kind)
		}
		s.c.VariablesRequest(scopes[0].VariablesReference)
		benchExpect[*dap.VariablesResponse](s)
	})
}

func BenchmarkDAPReadMemory1MiB(b *testing.B) {
	dlv, ours := benchStart(b, "dlv"), benchStart(b, "ours")
	refs := map[*benchSession]string{}
	for _, s := range []*benchSession{dlv, ours} {
		refs[s] = s.blockRef()
		s.c.ReadMemoryRequest(refs[s], 0, 1<<20)
		data, err := base64.StdEncoding.DecodeString(benchExpect[*dap.ReadMemoryResponse](s).Body.Data)
		if err != nil || len(data) != 1<<20 || data[1] != 1 || data[1<<20-1] != 0xff {
			b.Fatalf("%s: readMemory of dapprog's block: %d bytes (%v), want 1 MiB of byte(i)", s.kind, len(data), err)
		}
	}
	benchInterleaved(b, "readMemory", "1 MiB readMemory/s", 2, dlv, ours, func(s *benchSession) {
		s.c.ReadMemoryRequest(refs[s], 0, 1<<20)
		s.expectRawResponse("readMemory", 1<<20*4/3)
	})
}

// benchInterleaved runs the sub-benchmark name: it times op on dlv and on
// ours alternately, b.N times each, so that both see the same machine
// load, and reports the median duration of each and the ratio of their
// rates (dlv's median over ours); the parent logs the final figures.
func benchInterleaved(b *testing.B, name, what string, goal float64, dlv, ours *benchSession, op func(*benchSession)) {
	var mDlv, mOurs time.Duration
	b.Run(name, func(b *testing.B) {
		var dDlv, dOurs []time.Duration
		for i := 0; i < b.N; i++ {
			for _, s := range []*benchSession{dlv, ours} {
				start := time.Now()
				op(s)
				if s == dlv {
					dDlv = append(dDlv, time.Since(start))
				} else {
					dOurs = append(dOurs, time.Since(start))
				}
			}
		}
		mDlv, mOurs = benchMedian(dDlv), benchMedian(dOurs)
		b.ReportMetric(float64(mDlv.Nanoseconds()), "dlv-median-ns")
		b.ReportMetric(float64(mOurs.Nanoseconds()), "ours-median-ns")
		b.ReportMetric(float64(mDlv)/float64(mOurs), "x-dlv-rate")
	})
	if mDlv == 0 || mOurs == 0 {
		return
	}
	ratio := float64(mDlv) / float64(mOurs)
	met := "met"
	if ratio < goal {
		met = "NOT met"
	}
	b.Logf("%s: ours %.1f, dlv %.1f (from medians): ratio %.2fx (goal %.1fx: %s)",
		what, float64(time.Second)/float64(mOurs), float64(time.Second)/float64(mDlv), ratio, goal, met)
}

func benchMedian(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	return s[len(s)/2]
}

// benchStart launches dapprog under a server of the given kind and stops
// at the breakpoint on work's call of inner, with the Globals scope shown.
func benchStart(b testing.TB, kind string) *benchSession {
	b.Helper()
	return benchStartWith(b, kind, true)
}

// benchStartWith is benchStart; globals is the launch attribute
// showGlobalVariables (vscode-go's default is false).
func benchStartWith(b testing.TB, kind string, globals bool) *benchSession {
	b.Helper()
	return benchStartArgs(b, kind, globals, "-period", "0")
}

// benchStartArgs is benchStartWith with dapprog's arguments (besides
// -die-with-parent).
func benchStartArgs(b testing.TB, kind string, globals bool, args ...string) *benchSession {
	b.Helper()
	prog := testprog.Build(b, "dapprog")
	var conn net.Conn
	switch kind {
	case "ours":
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		go func() {
			c, err := l.Accept()
			l.Close()
			if err == nil {
				ourdap.NewServer(ourdap.Config{}).ServeConn(c, nil)
			}
		}()
		if conn, err = net.Dial("tcp", l.Addr().String()); err != nil {
			b.Fatal(err)
		}
	case "dlv":
		conn = benchStockDlv(b)
	}
	s := &benchSession{kind: kind, b: b, c: daptest.NewClientFromConn(conn), conn: conn, r: bufio.NewReader(conn)}
	b.Cleanup(func() {
		s.c.DisconnectRequestWithKillOption(true)
		conn.SetReadDeadline(time.Now().Add(benchTimeout))
		for {
			if _, err := dap.ReadProtocolMessage(s.r); err != nil {
				break
			}
		}
		conn.Close()
	})

	file, line := benchSourceLine(b, "// work: call inner")
	s.c.InitializeRequestWithArgs(dap.InitializeRequestArguments{
		AdapterID: "go", LinesStartAt1: true, ColumnsStartAt1: true, PathFormat: "path",
		SupportsVariableType: true, SupportsMemoryReferences: true,
	})
	benchExpect[*dap.InitializeResponse](s)
	s.c.LaunchRequestWithArgs(map[string]any{
		"request": "launch", "mode": "exec", "program": prog, "args": append(args, "-die-with-parent"),
		"showGlobalVariables": globals,
	})
	benchExpect[*dap.LaunchResponse](s)
	s.bpFile, s.bpLine = file, line
	s.c.SetBreakpointsRequest(file, []int{line})
	benchExpect[*dap.SetBreakpointsResponse](s)
	s.c.ConfigurationDoneRequest()
	s.tid = benchExpect[*dap.StoppedEvent](s).Body.ThreadId
	return s
}

// blockRef returns the memory reference of dapprog's global block, from
// the Globals scope of the top frame.
func (s *benchSession) blockRef() string {
	s.c.StackTraceRequest(s.tid, 0, 1)
	frame := benchExpect[*dap.StackTraceResponse](s).Body.StackFrames[0].Id
	s.c.ScopesRequest(frame)
	for _, sc := range benchExpect[*dap.ScopesResponse](s).Body.Scopes {
		if !strings.HasPrefix(sc.Name, "Globals") { // "Globals (package main)"
			continue
		}
		s.c.VariablesRequest(sc.VariablesReference)
		for _, v := range benchExpect[*dap.VariablesResponse](s).Body.Variables {
			if (v.Name == "block" || v.Name == "main.block") && v.MemoryReference != "" {
				return v.MemoryReference
			}
		}
	}
	s.b.Fatalf("no memory reference for dapprog's block among the globals")
	return ""
}

// benchExpect reads messages until one of type T, failing on an error
// response or after benchTimeout.
func benchExpect[T dap.Message](s *benchSession) T {
	s.b.Helper()
	v, err := benchAwait[T](s)
	if err != nil {
		s.b.Fatal(err)
	}
	return v
}

// benchAwait reads messages until one of type T; an error response, the
// end of the debuggee (terminated event) and benchTimeout are errors.
func benchAwait[T dap.Message](s *benchSession) (T, error) {
	var zero T
	s.conn.SetReadDeadline(time.Now().Add(benchTimeout))
	for {
		m, err := dap.ReadProtocolMessage(s.r)
		if err != nil {
			return zero, fmt.Errorf("%s: waiting for %T: %w", s.kind, zero, err)
		}
		if v, ok := m.(T); ok {
			return v, nil
		}
		switch m := m.(type) {
		case *dap.ErrorResponse:
			return zero, fmt.Errorf("%s: waiting for %T: error response to %s: %s", s.kind, zero, m.Command, m.Message)
		case *dap.TerminatedEvent:
			return zero, fmt.Errorf("%s: waiting for %T: the debuggee ended (terminated event)", s.kind, zero)
		}
	}
}

// expectRawResponse reads frames until the response to command, without
// decoding them: the benchmark times the server, not the client's JSON
// decoder (the response was decoded and checked once before timing). The
// response must succeed and be at least size bytes long.
func (s *benchSession) expectRawResponse(command string, size int) {
	s.b.Helper()
	s.conn.SetReadDeadline(time.Now().Add(benchTimeout))
	for {
		m, err := dap.ReadBaseMessage(s.r)
		if err != nil {
			s.b.Fatalf("waiting for the %s response: %v", command, err)
		}
		if !bytes.Contains(m, []byte(`"command":"`+command+`"`)) {
			continue
		}
		if !bytes.Contains(m, []byte(`"success":true`)) || len(m) < size {
			s.b.Fatalf("%s response of %d bytes: %.300s", command, len(m), m)
		}
		return
	}
}

func benchSourceLine(b testing.TB, marker string) (string, int) {
	_, me, _, _ := runtime.Caller(0)
	file := filepath.Join(filepath.Dir(me), "..", "..", "internal", "testprog", "src", "dapprog", "main.go")
	src, err := os.ReadFile(file)
	if err != nil {
		b.Fatal(err)
	}
	for i, l := range strings.Split(string(src), "\n") {
		if strings.HasSuffix(l, marker) {
			return file, i + 1
		}
	}
	b.Fatalf("%s: no line ending %q", file, marker)
	return "", 0
}

// benchStockDlv starts stock `dlv dap` (cached in
// os.UserCacheDir()/dlv-listen-test, else installed with go install) and
// connects to it. It skips the benchmark if dlv cannot be installed.
func benchStockDlv(b testing.TB) net.Conn {
	b.Helper()
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	dlv := filepath.Join(cache, "dlv-listen-test", "dlv-v1.27.2")
	if _, err := os.Stat(dlv); err != nil {
		// Not cached (the integration tests cache it): install it for
		// this run.
		gobin := b.TempDir()
		install := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "install", "github.com/go-delve/delve/cmd/dlv@v1.27.2")
		install.Env = append(os.Environ(), "GOBIN="+gobin, "GOFLAGS=")
		if out, err := install.CombinedOutput(); err != nil {
			b.Skipf("stock dlv for comparison: go install github.com/go-delve/delve/cmd/dlv@v1.27.2: %v\n%s", err, out)
		}
		dlv = filepath.Join(gobin, "dlv")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cmd := exec.Command(dlv, "dap", "--listen="+addr)
	cmd.Env = append(os.Environ(), "GO_TELEMETRY_CHILD=2", "XDG_CONFIG_HOME="+b.TempDir())
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	deadline := time.Now().Add(benchTimeout)
	for {
		conn, err := net.Dial("tcp", addr)
		if err == nil {
			return conn
		}
		if time.Now().After(deadline) {
			b.Fatalf("stock dlv dap: cannot connect to %s: %v", addr, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
