// Package rpc serves Delve's JSON-RPC 2 API on a dlv-listen session, so
// Delve's rpc2 client — Delve's terminal, `dlv connect`, GoLand, scripts —
// talks to dlv-listen as to dlv, on the network (the headless server) or
// in-process (dlv-listen's own terminal, through Pipe).
//
// The wire is Delve's: net/rpc with the JSON codec (net/rpc/jsonrpc), one
// receiver named "RPCServer" whose methods take the rpc2 In types and fill
// the rpc2 Out types (Command: api.DebuggerCommand in, rpc2.CommandOut out).
// Every rpc2 method is answered through the client's CallAPI, the entry
// Delve's Starlark bindings use, so the server adds no debugging logic of
// its own. Errors travel as their text (net/rpc's rpc.ServerError on the
// client), which is how Delve's terminal reads them.
//
// net/rpc serves each request of a connection in its own goroutine: a halt
// gets through while a continue runs, on the same connection or another.
//
// Events are Delve's: a Command with WithEvents makes the session's events
// (resumed, stopped, ...) available to GetEvents, which blocks until there
// is one, as in Delve; a job-control change during such a command comes
// as an event of kind jobapi.EventJobControl, which Delve's client ignores.
//
// Job control, dlv-listen's addition (types in service/jobapi): the methods
// RPCServer.JobState, RPCServer.Signal and RPCServer.JobEvents, and a
// JobControl field in the states of State and Command answers.
//
// Robustness: a request larger than MaxRequest bytes or that is not JSON
// closes its connection; an unknown method gets an error answer; a client
// that goes away mid-call leaves the call to finish (a continue keeps
// running, as with Delve) and its answer is dropped.
//
// What a round trip costs: a Continue to a breakpoint hit at once
// (BenchmarkHeadless/roundtrip: counter -workers 0 -period 0, 4 threads),
// medians on the 2-CPU machine this was measured on, loaded, with timing
// marks along the path. From the request's bytes to the answer's (a raw
// JSON client) about 1.0 ms for us, 2.1 ms for stock dlv; through Delve's
// rpc2 client 1.2 to 1.5 ms against 2.3 to 2.8. Ours:
//   - net/rpc: the request is decoded in about 5 us; its goroutine (one
//     per request, so a halt gets through) starts 15 to 25 us later;
//   - the session, up to the resume: about 10 us;
//   - proc's Continue, 600 to 850 us, on the tracer thread in one hand-off
//     (about 30 us each way): the trapped thread moved past the breakpoint
//     and the threads resumed, about 85 us; the program's own work until
//     the next hit (the counter writes and renames a file, 240 us a tick
//     without a debugger) and the trap's wake-up, about 390 us; stopping
//     the other threads, about 85 us;
//   - the state (Debugger.stateOf): the selected goroutine 15 to 30 us
//     (proc's stack walk for UserCurrentLoc); the threads about 38 us,
//     mostly their goroutine IDs, whose memory reads are now made for all
//     the threads at once (four process_vm_readv, against 11 one thread
//     after another, convertThreads). Their registers are read at the end
//     of the stop on the tracer thread (backend prefetchRegisters); read
//     after it, in two hand-offs, the threads took 150 us;
//   - the JSON answer (3.5 KB) is encoded in about 20 us; its write wakes
//     the client;
//   - outside the server, loopback and the rpc2 client, the same for
//     both: 200 to 300 us (the client decodes the answer twice and passes
//     it through three goroutines).
//
// Per round trip the server makes 20 context switches and 62 system calls
// and uses 0.60 ms of CPU (perf stat over 2000; 30, 87 and 0.86 ms with
// the registers read after the stop and the goroutine IDs read thread by
// thread); stock dlv 107, 210 and 1.63 ms (it hands every ptrace request
// to its ptrace thread). Go's sysmon, woken
// from its deep sleep by the first system call of a round trip, polls
// every 20 us (and the timer's slack) for the next millisecond: about a
// tenth of our CPU.
package rpc

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/rpc"
	"runtime/debug"
	"sync"
	"sync/atomic"

	"github.com/go-delve/delve/service"
	"github.com/go-delve/delve/service/api"
	"github.com/go-delve/delve/service/rpc2"

	"github.com/dlv-listen/dlv-listen/service/debugger"
	"github.com/dlv-listen/dlv-listen/service/jobapi"
)

// Server answers Delve's rpc2 methods, and dlv-listen's job-control ones,
// on a session.
type Server struct {
	d *debugger.Debugger
	c service.Client

	// halts counts the halt commands received, on every connection. A
	// continue compares it with the count when the previous continue
	// started (see rpcServer.cont).
	halts atomic.Uint64

	events *events

	mu          sync.Mutex
	multiclient bool
	onDetach    func()
	// onCommandDetach runs after the dlv-listen.detach command.
	onCommandDetach func(line string)
}

// NewServer returns a server on session d answering Delve's rpc2 methods
// with c: d's in-process client, or a wrapper of it (nil = d.Client()).
// The server takes the client's events (SetEventsFn).
func NewServer(d *debugger.Debugger, c service.Client) *Server {
	if c == nil {
		c = d.Client()
	}
	s := &Server{d: d, c: c, events: newEvents(d)}
	c.SetEventsFn(s.events.push)
	return s
}

// SetMulticlient sets the answer of IsMulticlient (dlv's
// --accept-multiclient).
func (s *Server) SetMulticlient(on bool) {
	s.mu.Lock()
	s.multiclient = on
	s.mu.Unlock()
}

// SetDetachFunc sets fn to run after a successful Detach has been answered,
// on any connection: the headless server ends then, as dlv's does.
func (s *Server) SetDetachFunc(fn func()) {
	s.mu.Lock()
	s.onDetach = fn
	s.mu.Unlock()
}

// SetCommandDetachFunc sets fn to run, with the line to print, once the
// dlv-listen.detach command has let the process go: the in-process
// terminal ends then. Without it the server ends as after Detach.
func (s *Server) SetCommandDetachFunc(fn func(line string)) {
	s.mu.Lock()
	s.onCommandDetach = fn
	s.mu.Unlock()
}

func (s *Server) detached() {
	s.mu.Lock()
	fn := s.onDetach
	s.mu.Unlock()
	if fn != nil {
		fn()
	}
}

// ServeConn serves one connection until the client closes it and every
// call it made has returned (blocking). Requests are served concurrently
// (a halt must get through while a continue runs): net/rpc's ServeCodec
// runs each call in its own goroutine.
func (s *Server) ServeConn(rwc io.ReadWriteCloser) {
	s.Serve(rwc, nil)
}

// Serve is ServeConn with readEnd, if not nil, called as soon as the
// client is gone or its connection is closed for bad input, even while
// calls it made still run: dlv ends a single-client server then.
func (s *Server) Serve(rwc io.ReadWriteCloser, readEnd func()) {
	c := newConn(rwc, readEnd, s.detached, s.d.PrepareResume)
	srv := rpc.NewServer()
	if err := srv.RegisterName("RPCServer", &rpcServer{s: s, c: s.c, conn: c}); err != nil {
		// Only a receiver without methods fits no method: a programming
		// error.
		panic(err)
	}
	srv.ServeCodec(c)
}

// Pipe returns an rpc2 client connected in-process to s (net.Pipe; the
// server side served in a goroutine) and a func to close it. Closing does
// not wait for requests still running on the server side.
func Pipe(s *Server) (*rpc2.RPCClient, func()) {
	client, server := net.Pipe()
	go s.ServeConn(server)
	return rpc2.NewClientFromConn(client), func() { client.Close() }
}

// rpcServer is the receiver registered as "RPCServer" for one connection.
// Each method answers the rpc2 method of the same name.
type rpcServer struct {
	s    *Server
	c    service.Client
	conn *conn

	// After a continue that stopped only at tracepoints, the rpc2 client
	// continues again at once. A halt that comes between the two has no
	// running process to stop: traceStop records the halt count when that
	// continue started, and the next continue answers at once if it moved.
	mu         sync.Mutex
	traceStop  bool
	traceHalts uint64
}

// call forwards method to the client's CallAPI. A panic becomes an error,
// as in Delve's server, instead of ending the debugger.
func (r *rpcServer) call(method string, in, out any) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("internal debugger error: %v\n%s", p, debug.Stack())
		}
	}()
	return r.c.CallAPI(method, in, out)
}

// SetApiVersion accepts API version 2, the one served.
func (r *rpcServer) SetApiVersion(in api.SetAPIVersionIn, _ *api.SetAPIVersionOut) error {
	if in.APIVersion != 2 {
		return fmt.Errorf("unknown API version %d: dlv-listen serves API version 2", in.APIVersion)
	}
	return nil
}

func (r *rpcServer) GetVersion(in api.GetVersionIn, out *api.GetVersionOut) error {
	return r.call("GetVersion", &in, out)
}

// Command runs an api.DebuggerCommand. Continue is the one command with
// more than forwarding, see cont.
func (r *rpcServer) Command(cmd api.DebuggerCommand, out *jobapi.CommandOut) (err error) {
	if cmd.WithEvents {
		defer r.s.events.command()()
	}
	var co rpc2.CommandOut
	defer func() {
		if err == nil {
			out.State = jobapi.DebuggerState{DebuggerState: &co.State, JobControl: r.s.knownJobState()}
		}
	}()
	switch cmd.Name {
	case jobapi.CommandJobs, jobapi.CommandSignal, jobapi.CommandDetach:
		return r.jobCommand(cmd, &co)
	case api.Halt:
		r.s.halts.Add(1)
	case api.Continue, api.DirectionCongruentContinue:
		return r.cont(cmd, &co)
	case api.Next, api.Step, api.StepOut, api.StepInstruction, api.NextInstruction, api.Call:
		r.setTraceStop(false, 0)
	}
	return r.call("Command", &cmd, &co)
}

// cont answers a continue. Like Delve's server, an exited process is a state
// with Exited set (the rpc2 client makes the error). Unlike it, a halt that
// comes while the rpc2 client is between two continues of its tracepoint
// loop is kept: the second continue does not resume the process and
// answers the current state without breakpoint, which ends the loop.
func (r *rpcServer) cont(cmd api.DebuggerCommand, out *rpc2.CommandOut) error {
	halts := r.s.halts.Load()
	r.mu.Lock()
	halted := r.traceStop && r.traceHalts != halts
	r.traceStop = false
	r.mu.Unlock()
	if halted {
		var st rpc2.StateOut
		if err := r.call("State", &rpc2.StateIn{}, &st); err != nil {
			return err
		}
		if st.State == nil {
			return errors.New("no state")
		}
		out.State = *st.State
		clearBreakpoints(&out.State)
		return nil
	}
	if err := r.call("Command", &cmd, out); err != nil {
		return err
	}
	if !out.State.Exited && onlyTracepoints(&out.State) {
		r.setTraceStop(true, halts)
	}
	return nil
}

func (r *rpcServer) setTraceStop(stop bool, halts uint64) {
	r.mu.Lock()
	r.traceStop, r.traceHalts = stop, halts
	r.mu.Unlock()
}

// onlyTracepoints reports whether st stopped at breakpoints that are all
// tracepoints: the rpc2 client continues after such a stop.
func onlyTracepoints(st *api.DebuggerState) bool {
	hit := false
	for _, th := range st.Threads {
		if bp := th.Breakpoint; bp != nil {
			if !bp.Tracepoint && !bp.TraceReturn {
				return false
			}
			hit = true
		}
	}
	return hit
}

// clearBreakpoints drops what st says about breakpoints the threads sit on:
// they were reported with the stop before.
func clearBreakpoints(st *api.DebuggerState) {
	drop := func(th *api.Thread) {
		if th != nil {
			th.Breakpoint, th.BreakpointInfo, th.ReturnValues = nil, nil, nil
		}
	}
	for _, th := range st.Threads {
		drop(th)
	}
	drop(st.CurrentThread)
}
