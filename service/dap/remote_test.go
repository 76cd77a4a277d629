//go:build linux

package dap

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/go-delve/delve/service/dap/daptest"
	"github.com/google/go-dap"

	"github.com/dlv-listen/dlv-listen/internal/testprog"
	"github.com/dlv-listen/dlv-listen/service/debugger"
)

// serveExisting serves a client on an existing session, as the headless
// server does; it returns the client.
func serveExisting(t *testing.T, d *debugger.Debugger, cfg Config) *testClient {
	t.Helper()
	// TCP, not net.Pipe: a client that stops reading must not block the
	// server's writes, as on a real connection.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	cliConn, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	srvConn, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	tc := &testClient{t: t, conn: cliConn, done: make(chan error, 1)}
	tc.rd = newReader(cliConn)
	tc.Client = daptest.NewClientFromConn(cliConn)
	go func() { tc.done <- NewServer(cfg).ServeConn(srvConn, d) }()
	t.Cleanup(func() {
		cliConn.Close()
		select {
		case <-tc.done:
		case <-time.After(startTimeout):
			t.Errorf("the server did not end within %v of the client closing", startTimeout)
		}
	})
	return tc
}

// TestRemoteAttach: a client attaches (mode remote) to a session made by
// someone else, as with `dlv-listen exec --headless`; launch and local
// attach are refused there, with dlv's words; a disconnect without
// AcceptMulti ends the session (a launched program is killed).
func TestRemoteAttach(t *testing.T) {
	bin, d := launchExisting(t)
	pid := d.Client().ProcessPid()

	tc := serveExisting(t, d, Config{Log: t.Logf})
	tc.initialize()
	tc.LaunchRequest("exec", bin, false)
	er := expect[*dap.ErrorResponse](tc, timeout)
	if er.Command != "launch" || !containsAll(er.Body.Error.Format, "debug session already in progress", "use remote attach mode") {
		t.Errorf("launch on an existing session: %s", er.Body.Error.Format)
	}
	tc.AttachRequest(map[string]any{"request": "attach", "mode": "remote"})
	expect[*dap.AttachResponse](tc, timeout)
	tc.configureToBreakpoint("work: call inner")
	tc.DisconnectRequest()
	expect[*dap.DisconnectResponse](tc, timeout)
	waitGone(t, pid)
	if d.Gone() == nil {
		t.Errorf("the session goes on after the disconnect")
	}
}

// TestRemoteAttachAcceptMulti: with AcceptMulti the session outlives the
// client, running, and a second client can attach.
func TestRemoteAttachAcceptMulti(t *testing.T) {
	_, d := launchExisting(t)
	for round := range 2 {
		tc := serveExisting(t, d, Config{Log: t.Logf, AcceptMulti: true})
		tc.initialize()
		tc.AttachRequest(map[string]any{"request": "attach", "mode": "remote"})
		expect[*dap.AttachResponse](tc, timeout)
		if round == 0 {
			// The first client leaves the program running; the second
			// one's attach halts it, and it leaves it halted.
			tc.ConfigurationDoneRequest()
			expect[*dap.ConfigurationDoneResponse](tc, timeout)
		}
		tc.DisconnectRequest()
		expect[*dap.DisconnectResponse](tc, timeout)
		tc.expectOutput("leaving multi-client DAP server", timeout)
		if err := d.Gone(); err != nil {
			t.Fatalf("round %d: the session ended: %v", round, err)
		}
	}
}

// closeAtEnd ends the session when the test ends, failing the test (not
// hanging it) if that takes too long.
func closeAtEnd(t *testing.T, d *debugger.Debugger) {
	t.Cleanup(func() {
		done := make(chan error, 1)
		go func() { done <- d.Close(true) }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("close the session: %v", err)
			}
		case <-time.After(timeout):
			t.Errorf("closing the session did not end within %v", timeout)
			syscallKill(d.Client().ProcessPid())
		}
	})
}

// TestRemoteAttachFollowExec: followExec in a remote attach turns
// follow-exec on in the existing session; "job" is refused there before
// anything is done, and a bad regex leaves follow-exec as it was.
func TestRemoteAttachFollowExec(t *testing.T) {
	_, d := launchExisting(t)
	tc := serveExisting(t, d, Config{Log: t.Logf})
	tc.initialize()
	tc.AttachRequest(map[string]any{"request": "attach", "mode": "remote", "job": true})
	if er := expect[*dap.ErrorResponse](tc, timeout); !strings.Contains(er.Body.Error.Format, "'job' needs mode \"local\"") {
		t.Errorf("remote attach with job: %q", er.Body.Error.Format)
	}
	tc.AttachRequest(map[string]any{"request": "attach", "mode": "remote", "followExec": true, "followExecRegex": "a("})
	if er := expect[*dap.ErrorResponse](tc, timeout); !strings.Contains(er.Body.Error.Format, `"a("`) {
		t.Errorf("remote attach with a bad regex: %q", er.Body.Error.Format)
	}
	if d.FollowExecEnabled() {
		t.Errorf("follow-exec on after a refused attach")
	}
	tc.AttachRequest(map[string]any{"request": "attach", "mode": "remote", "followExec": true, "followExecRegex": "dapprog"})
	expect[*dap.AttachResponse](tc, timeout)
	if !d.FollowExecEnabled() {
		t.Errorf("follow-exec off after a remote attach with followExec")
	}
}

// launchExisting launches dapprog in a session of its own, as a headless
// dlv-listen does, ended when the test ends.
func launchExisting(t *testing.T) (bin string, d *debugger.Debugger) {
	t.Helper()
	bin = testprog.Build(t, "dapprog")
	d, err := debugger.Launch([]string{bin, "-period", "1ms"}, debugger.LaunchConfig{}, debugger.Config{})
	if err != nil {
		t.Fatal(err)
	}
	closeAtEnd(t, d)
	return bin, d
}
