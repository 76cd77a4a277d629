//go:build linux

package integration

// Bad input to the headless server: each case gets an error answer or a
// closed connection, the server keeps serving its other clients, and the
// debuggee is left as it was (running, untraced after detach, no
// breakpoint).

import (
	"bufio"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/go-delve/delve/service/rpc2"

	"github.com/dlv-listen/dlv-listen/internal/testprog"
)

// rpcAnswer is a JSON-RPC answer.
type rpcAnswer struct {
	ID     int
	Result json.RawMessage
	Error  *string
}

func TestHeadlessBadInput(t *testing.T) {
	job := testprog.Start(t, "counter")
	srv := startServer(t, "dlv-listen", dlvListen, append([]string{"attach", pidArg(job.Pid)}, headlessArgs("--accept-multiclient")...)...)
	// serving checks, after each case, that another client is served.
	serving := func(t *testing.T) *rpc2.RPCClient {
		t.Helper()
		c := srv.dial(t)
		if st, err := c.GetState(); err != nil || st.Pid != job.Pid {
			t.Fatalf("another client is not served: %+v, %v", st, err)
		}
		return c
	}

	t.Run("malformed JSON", func(t *testing.T) {
		conn := srv.rawConn(t)
		fmt.Fprint(conn, "{this is not JSON}\n")
		waitClosed(t, conn, CmdTimeout)
		serving(t)
	})

	t.Run("unknown method", func(t *testing.T) {
		conn := srv.rawConn(t)
		dec := json.NewDecoder(bufio.NewReader(conn))
		fmt.Fprint(conn, `{"method":"RPCServer.NoSuchMethod","params":[{}],"id":1}`+"\n")
		var a rpcAnswer
		conn.SetReadDeadline(time.Now().Add(testprog.Timeout(CmdTimeout)))
		if err := dec.Decode(&a); err != nil {
			t.Fatalf("no answer to an unknown method: %v", err)
		}
		if a.ID != 1 || a.Error == nil || !strings.Contains(*a.Error, "NoSuchMethod") {
			t.Fatalf("answer to an unknown method: id %d, error %v; want an error naming it", a.ID, a.Error)
		}
		// The connection goes on.
		fmt.Fprint(conn, `{"method":"RPCServer.ProcessPid","params":[{}],"id":2}`+"\n")
		a = rpcAnswer{}
		if err := dec.Decode(&a); err != nil || a.Error != nil || a.ID != 2 || string(a.Result) != fmt.Sprintf(`{"Pid":%d}`, job.Pid) {
			t.Fatalf("ProcessPid after the unknown method: %+v (%s), %v", a, a.Result, err)
		}
	})

	t.Run("100 MiB message", func(t *testing.T) {
		conn := srv.rawConn(t)
		written := make(chan error, 1)
		go func() {
			// One request of 100 MiB: an expression that long.
			w := bufio.NewWriterSize(conn, 1<<20)
			fmt.Fprint(w, `{"method":"RPCServer.Eval","params":[{"Scope":{"GoroutineID":-1},"Expr":"`)
			chunk := strings.Repeat("a", 1<<20)
			var err error
			for i := 0; i < 100 && err == nil; i++ {
				_, err = w.WriteString(chunk)
			}
			if err == nil {
				_, err = fmt.Fprint(w, `"}],"id":1}`+"\n")
			}
			if err == nil {
				err = w.Flush()
			}
			written <- err
		}()
		waitClosed(t, conn, 30*time.Second)
		if err := <-written; err == nil {
			t.Errorf("the server read all 100 MiB")
		}
		serving(t)
	})

	t.Run("silent client", func(t *testing.T) {
		silent := srv.rawConn(t)
		_ = silent // connected, never speaks
		c := serving(t)
		if _, _, err := c.ListGoroutines(0, 10); err != nil {
			t.Fatalf("ListGoroutines while a client is silent: %v", err)
		}
	})

	t.Run("disconnect mid-call", func(t *testing.T) {
		conn := srv.rawConn(t)
		fmt.Fprint(conn, `{"method":"RPCServer.Command","params":[{"name":"continue"}],"id":1}`+"\n")
		c := serving2(t, srv) // served while the continue runs
		deadline := time.Now().Add(CmdTimeout)
		for {
			st, err := c.GetStateNonBlocking()
			if err != nil {
				t.Fatalf("GetStateNonBlocking: %v", err)
			}
			if st.Running {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the continue did not start")
			}
			time.Sleep(10 * time.Millisecond)
		}
		conn.Close() // mid-call
		job.WaitAdvance(t, 5*time.Second)
		if _, err := c.Halt(); err != nil {
			t.Fatalf("Halt from another client: %v", err)
		}
		if st, err := c.GetState(); err != nil || st.Running {
			t.Fatalf("after Halt: %+v, %v", st, err)
		}
	})

	// The debuggee as it was: no breakpoint of ours, running after detach.
	c := serving(t)
	bps, err := c.ListBreakpoints(false)
	if err != nil {
		t.Fatalf("ListBreakpoints: %v", err)
	}
	for _, bp := range bps {
		if bp.ID > 0 {
			t.Errorf("breakpoint left: %+v", bp)
		}
	}
	if err := c.Detach(false); err != nil {
		t.Fatalf("Detach: %v", err)
	}
	if st := srv.wait(10 * time.Second); st != 0 {
		t.Errorf("server exited with status %d", st)
	}
	waitUntracedPid(t, job.Pid, 5*time.Second)
	for i := 0; i < 3; i++ {
		job.WaitAdvance(t, 5*time.Second)
	}
	if ev := job.Events(); len(ev) != 0 {
		t.Errorf("job-control events seen by the shell: %q", ev)
	}
}

// serving2 dials a client without asking for the state (which would wait
// for a running command).
func serving2(t *testing.T, srv *server) *rpc2.RPCClient {
	t.Helper()
	c := srv.dial(t)
	if v := c.GetVersion(); v == nil || v.APIVersion != 2 {
		t.Fatalf("GetVersion from another client: %+v", v)
	}
	return c
}
