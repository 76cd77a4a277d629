//go:build linux

package integration

// Bad input to the DAP server, each case on a server of its own: framing
// errors end the connection cleanly; everything else gets an error
// response naming the cause, and the server goes on serving (a disconnect
// afterwards is answered) and exits without crashing.

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-dap"

	"github.com/dlv-listen/dlv-listen/internal/testprog"
)

func TestDAPBadInput(t *testing.T) {
	bin := dapServerBin(t)
	cases := []struct {
		name string
		// send sends the bad input. A nil want means the server must close
		// the connection; otherwise it must answer with an error response
		// to command ("" if it could not tell) whose text matches want
		// (dlv's words).
		send    func(t *testing.T, c *dapClient)
		command string
		want    *regexp.Regexp
		// wantOutput, if set, must match the output events (the
		// compiler's message goes there).
		wantOutput *regexp.Regexp
	}{
		{
			name: "bad header",
			send: func(t *testing.T, c *dapClient) { fmt.Fprint(c.conn, "Content-Lenght: 2\r\n\r\n{}") },
		},
		{
			name: "bad Content-Length",
			send: func(t *testing.T, c *dapClient) { fmt.Fprint(c.conn, "Content-Length: two\r\n\r\n{}") },
		},
		{
			name: "invalid JSON",
			send: func(t *testing.T, c *dapClient) { c.initialize(); c.BadRequest() },
		},
		{
			name: "unknown command",
			send: func(t *testing.T, c *dapClient) { c.initialize(); c.UnknownRequest() },
			want: regexp.MustCompile(`Request command 'unknown' is not supported`),
		},
		{
			name:    "request before initialize",
			send:    func(t *testing.T, c *dapClient) { c.ThreadsRequest() },
			command: "threads",
			want:    regexp.MustCompile(`No debug session started`),
		},
		{
			name: "bad pid",
			send: func(t *testing.T, c *dapClient) {
				c.initialize()
				c.AttachRequest(map[string]any{"request": "attach", "mode": "local", "processId": 99999999})
			},
			command: "attach",
			want:    regexp.MustCompile(`Failed to attach: could not attach to pid 99999999: no such process`),
		},
		{
			// What Zed's config_from_zed_format makes of an attach.
			name: "attach mode debug",
			send: func(t *testing.T, c *dapClient) {
				c.initialize()
				c.AttachRequest(map[string]any{"request": "attach", "mode": "debug", "processId": 99999999})
			},
			command: "attach",
			want:    regexp.MustCompile(`Failed to attach: invalid debug configuration - unsupported 'mode' attribute "debug"`),
		},
		{
			name: "program does not build",
			send: func(t *testing.T, c *dapClient) {
				c.initialize()
				c.LaunchRequestWithArgs(map[string]any{
					"request": "launch", "mode": "debug",
					"program": filepath.Join(moduleRoot, "integration/testdata/dapbroken"),
					"output":  filepath.Join(t.TempDir(), "__debug_bin"),
				})
			},
			command:    "launch",
			want:       regexp.MustCompile(`Failed to launch: Build error`),
			wantOutput: regexp.MustCompile(`undefined: undefinedOnPurpose`),
		},
	}
	for _, tc := range cases {
		t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
			if tc.name == "program does not build" {
				needGoCommand(t, "DAP launch mode debug")
			}
			addr := freeLoopbackAddr(t)
			s := startDAPPiped(t, "dap", bin, nil, false, "--listen="+addr)
			c := newDAPClient(t, dialRetry(t, s, addr))
			tc.send(t, c)
			if tc.want == nil {
				c.expectClosed(dapTimeout)
			} else {
				er := dapExpect[*dap.ErrorResponse](c, dapStartTimeout)
				if er.Command != tc.command || !tc.want.MatchString(dapErrorText(er)) {
					t.Errorf("error response to %q: %s; want one to %q matching %q", er.Command, dapErrorText(er), tc.command, tc.want)
				}
				if tc.wantOutput != nil && !tc.wantOutput.MatchString(c.outputText()) {
					t.Errorf("output events %q do not match %q", c.outputText(), tc.wantOutput)
				}
				// Still serving.
				c.DisconnectRequest()
				dapExpect[*dap.DisconnectResponse](c, dapTimeout)
				c.expectClosed(dapTimeout)
			}
			st := s.waitExit(t, dapTimeout)
			if st != 0 {
				t.Errorf("server exit status %d, want 0", st)
			}
			if strings.Contains(s.output(), "panic") {
				t.Errorf("the server panicked:\n%s", s.output())
			}
		})
	}
}

// TestDAPBadInputMidSession: a framing error in the middle of a session
// with an attached program, stopped at a breakpoint, ends the connection;
// the program is let go of, running, without the breakpoint (an int3 left
// in it would kill it with SIGTRAP at its next iteration).
func TestDAPBadInputMidSession(t *testing.T) {
	bin := dapServerBin(t)
	job := testprog.Start(t, "dapprog")
	src := dapprogSource(t)
	addr := freeLoopbackAddr(t)
	s := startDAPPiped(t, "dap", bin, nil, false, "--listen="+addr)
	c := newDAPClient(t, dialRetry(t, s, addr))
	c.initialize()
	c.AttachRequest(map[string]any{"request": "attach", "mode": "local", "processId": job.Pid})
	dapExpect[*dap.AttachResponse](c, dapStartTimeout)
	c.SetBreakpointsRequest(src.file, []int{src.callInner})
	dapExpect[*dap.SetBreakpointsResponse](c, dapTimeout)
	c.ConfigurationDoneRequest()
	dapExpect[*dap.ConfigurationDoneResponse](c, dapTimeout)
	expectStopped(t, c, "breakpoint", dapStartTimeout)

	fmt.Fprint(c.conn, "Content-Length: -5\r\n\r\n")
	c.expectClosed(dapTimeout)
	if st := s.waitExit(t, dapTimeout); st != 0 {
		t.Errorf("server exit status %d, want 0", st)
	}
	WaitUntraced(t, job.Pid, "running", dapTimeout)
	job.WaitAdvance(t, dapTimeout)
	job.WaitAdvance(t, dapTimeout) // past the breakpoint's line again
	if ev := job.Events(); len(ev) != 0 {
		t.Errorf("the program's shell saw %q; want it running on untouched", ev)
	}
}
