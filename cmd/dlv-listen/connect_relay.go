package main

// connect's terminal runs on a genuine *rpc2.RPCClient, as Delve's terminal
// requires (its trace command type-asserts one to set return tracepoints:
// a wrapper type made `trace` panic). The client talks JSON-RPC to a relay
// in this process, which forwards every call to the server unchanged and
// answers the raw_command names of dlv-listen's terminal commands (jobs,
// signal, detach) itself, with the server's job-control methods, so that it
// can say when the server is not dlv-listen.

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/rpc"
	"net/rpc/jsonrpc"
	"strings"
	"sync"

	"github.com/go-delve/delve/service/api"
	"github.com/go-delve/delve/service/rpc2"

	"github.com/dlv-listen/dlv-listen/service/jobapi"
)

// The raw_command names of dlv-listen's terminal commands (prelude.star).
const (
	commandJobs   = jobapi.CommandJobs
	commandSignal = jobapi.CommandSignal
	commandDetach = jobapi.CommandDetach
)

// relayClient connects to the server on conn through a relay and returns
// the client.
func relayClient(conn net.Conn) *rpc2.RPCClient {
	near, far := net.Pipe()
	r := &relay{up: jsonrpc.NewClient(conn), down: far, enc: json.NewEncoder(far)}
	go r.serve()
	return rpc2.NewClientFromConn(near)
}

type relay struct {
	up   *rpc.Client // the server
	down net.Conn    // the terminal's client
	mu   sync.Mutex  // enc
	enc  *json.Encoder
}

// request and response are net/rpc/jsonrpc's wire messages.
type request struct {
	Method string            `json:"method"`
	Params []json.RawMessage `json:"params"`
	ID     uint64            `json:"id"`
}

type response struct {
	ID     uint64 `json:"id"`
	Result any    `json:"result"`
	Error  any    `json:"error"`
}

// serve reads the client's requests until it closes its end, then closes
// the connection to the server. Each request is sent on before the next is
// read (a Continue sent just before the client closes is not lost).
func (r *relay) serve() {
	defer r.up.Close()
	dec := json.NewDecoder(r.down)
	for {
		var req request
		if err := dec.Decode(&req); err != nil {
			return
		}
		var arg json.RawMessage = []byte("null")
		if len(req.Params) > 0 {
			arg = req.Params[0]
		}
		if name, ok := dlvListenCommand(req.Method, arg); ok {
			go func() {
				out, err := r.command(name, arg)
				r.reply(req.ID, out, err)
			}()
			continue
		}
		var out json.RawMessage
		call := r.up.Go(req.Method, arg, &out, make(chan *rpc.Call, 1))
		go func() {
			<-call.Done
			if errors.Is(call.Error, rpc.ErrShutdown) || errors.Is(call.Error, io.ErrUnexpectedEOF) {
				// The server is gone: the client sees its connection end,
				// as it would without the relay.
				r.down.Close()
				return
			}
			r.reply(req.ID, out, call.Error)
		}()
	}
}

func (r *relay) reply(id uint64, result any, err error) {
	resp := response{ID: id, Result: result}
	if err != nil {
		resp.Result, resp.Error = nil, err.Error()
	} else if raw, ok := result.(json.RawMessage); ok && len(raw) == 0 {
		resp.Result = nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	_ = r.enc.Encode(resp)
}

// dlvListenCommand reports whether a request is the Command of one of
// dlv-listen's terminal commands, and which.
func dlvListenCommand(method string, arg json.RawMessage) (string, bool) {
	if method != "RPCServer.Command" {
		return "", false
	}
	var cmd api.DebuggerCommand
	if json.Unmarshal(arg, &cmd) != nil || !strings.HasPrefix(cmd.Name, "dlv-listen.") {
		return "", false
	}
	return cmd.Name, true
}

// command answers one of dlv-listen's terminal commands: the line to
// print goes in State.When.
func (r *relay) command(name string, arg json.RawMessage) (*rpc2.CommandOut, error) {
	out := &rpc2.CommandOut{}
	switch name {
	case commandJobs:
		var js jobapi.JobStateOut
		if err := r.up.Call("RPCServer.JobState", jobapi.JobStateIn{}, &js); err != nil {
			return nil, noJobControl("jobs", err)
		}
		out.State.When = js.JobState.Text
	case commandSignal:
		var cmd api.DebuggerCommand
		_ = json.Unmarshal(arg, &cmd)
		var so jobapi.SignalOut
		if err := r.up.Call("RPCServer.Signal", jobapi.SignalIn{Signal: cmd.Expr}, &so); err != nil {
			return nil, noJobControl("signal", err)
		}
		out.State.When = so.Text
	case commandDetach:
		return nil, r.detach()
	default:
		return nil, fmt.Errorf("unknown command %q", name)
	}
	return out, nil
}

// detach lets the process go (breakpoints removed, job state kept) and
// ends dlv-listen: the terminal has no detach of its own, and a Starlark
// command cannot end it.
func (r *relay) detach() error {
	var attached rpc2.AttachedToExistingProcessOut
	if err := r.up.Call("RPCServer.AttachedToExistingProcess", rpc2.AttachedToExistingProcessIn{}, &attached); err != nil {
		return err
	}
	if !attached.Answer {
		return errors.New("detach: the program was started by the debugger; use exit to end it")
	}
	var pid rpc2.ProcessPidOut
	if err := r.up.Call("RPCServer.ProcessPid", rpc2.ProcessPidIn{}, &pid); err != nil {
		return err
	}
	if err := r.up.Call("RPCServer.Detach", rpc2.DetachIn{Kill: false}, &rpc2.DetachOut{}); err != nil {
		return err
	}
	fmt.Printf("detached from process %d\n", pid.Pid)
	exitAfterDetach()
	return nil
}

// noJobControl words the error of a job-control method that the server
// lacks (stock dlv answers an unknown method).
func noJobControl(cmd string, err error) error {
	var serr rpc.ServerError
	if errors.As(err, &serr) && (strings.Contains(err.Error(), "unknown method") || strings.Contains(err.Error(), "can't find method")) {
		return fmt.Errorf("%s: the server is not dlv-listen and has no job control", cmd)
	}
	return err
}
