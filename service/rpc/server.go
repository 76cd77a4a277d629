// Package rpc serves Delve's JSON-RPC 2 API over a service.Client, so
// Delve's rpc2 client — and Delve's terminal on it — talks to a dlv-listen
// session.
//
// The wire is Delve's: net/rpc with the JSON codec (net/rpc/jsonrpc), one
// receiver named "RPCServer" whose methods take the rpc2 In types and fill
// the rpc2 Out types (Command: api.DebuggerCommand in, rpc2.CommandOut out).
// Every method is answered through the client's CallAPI, the entry Delve's
// Starlark bindings use, so the server adds no debugging logic of its own.
// Errors travel as their text (net/rpc's rpc.ServerError on the client),
// which is how Delve's terminal reads them.
//
// net/rpc serves each request of a connection in its own goroutine: a halt
// gets through while a continue runs.
//
// Differences from Delve's server: events are not streamed (GetEvents
// answers an error, which ends the rpc2 client's event drain), and only API
// version 2 is served.
package rpc

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/rpc"
	"net/rpc/jsonrpc"
	"runtime/debug"
	"sync"
	"sync/atomic"

	"github.com/go-delve/delve/service"
	"github.com/go-delve/delve/service/api"
	"github.com/go-delve/delve/service/rpc2"
)

// errNoEvents answers GetEvents.
var errNoEvents = errors.New("dlv-listen does not stream events over JSON-RPC")

// Server answers Delve's rpc2 methods with a service.Client.
type Server struct {
	c service.Client

	// halts counts the halt commands received, on every connection. A
	// continue compares it with the count when the previous continue
	// started (see conn.cont).
	halts atomic.Uint64
}

// NewServer returns a server answering Delve's rpc2 methods with c (an
// in-process client such as *debugger.Client, or a wrapper of it).
func NewServer(c service.Client) *Server {
	return &Server{c: c}
}

// ServeConn serves one connection until it is closed (blocking). Requests
// are served concurrently (a halt must get through while a continue runs):
// net/rpc's ServeCodec runs each call in its own goroutine.
func (s *Server) ServeConn(conn io.ReadWriteCloser) {
	srv := rpc.NewServer()
	if err := srv.RegisterName("RPCServer", &rpcServer{s: s, c: s.c}); err != nil {
		// Only a receiver without methods fits no method: a programming
		// error.
		panic(err)
	}
	srv.ServeCodec(jsonrpc.NewServerCodec(conn))
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
	s *Server
	c service.Client

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

// GetEvents answers an error: events are not streamed. The rpc2 client's
// event drain stops at the first error.
func (r *rpcServer) GetEvents(rpc2.GetEventsIn, *rpc2.GetEventsOut) error {
	return errNoEvents
}

// Command runs an api.DebuggerCommand. Continue is the one command with
// more than forwarding, see cont.
func (r *rpcServer) Command(cmd api.DebuggerCommand, out *rpc2.CommandOut) error {
	switch cmd.Name {
	case api.Halt:
		r.s.halts.Add(1)
	case api.Continue, api.DirectionCongruentContinue:
		return r.cont(cmd, out)
	case api.Next, api.Step, api.StepOut, api.StepInstruction, api.NextInstruction, api.Call:
		r.setTraceStop(false, 0)
	}
	return r.call("Command", &cmd, out)
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

func (r *rpcServer) State(in rpc2.StateIn, out *rpc2.StateOut) error {
	return r.call("State", &in, out)
}

func (r *rpcServer) ProcessPid(in rpc2.ProcessPidIn, out *rpc2.ProcessPidOut) error {
	return r.call("ProcessPid", &in, out)
}

func (r *rpcServer) LastModified(in rpc2.LastModifiedIn, out *rpc2.LastModifiedOut) error {
	return r.call("LastModified", &in, out)
}

func (r *rpcServer) BuildID(in rpc2.BuildIDIn, out *rpc2.BuildIDOut) error {
	return r.call("BuildID", &in, out)
}

func (r *rpcServer) Detach(in rpc2.DetachIn, out *rpc2.DetachOut) error {
	return r.call("Detach", &in, out)
}

func (r *rpcServer) Restart(in rpc2.RestartIn, out *rpc2.RestartOut) error {
	return r.call("Restart", &in, out)
}

func (r *rpcServer) Recorded(in rpc2.RecordedIn, out *rpc2.RecordedOut) error {
	return r.call("Recorded", &in, out)
}

func (r *rpcServer) Checkpoint(in rpc2.CheckpointIn, out *rpc2.CheckpointOut) error {
	return r.call("Checkpoint", &in, out)
}

func (r *rpcServer) ListCheckpoints(in rpc2.ListCheckpointsIn, out *rpc2.ListCheckpointsOut) error {
	return r.call("ListCheckpoints", &in, out)
}

func (r *rpcServer) ClearCheckpoint(in rpc2.ClearCheckpointIn, out *rpc2.ClearCheckpointOut) error {
	return r.call("ClearCheckpoint", &in, out)
}

func (r *rpcServer) StopRecording(in rpc2.StopRecordingIn, out *rpc2.StopRecordingOut) error {
	return r.call("StopRecording", &in, out)
}

func (r *rpcServer) IsMulticlient(in rpc2.IsMulticlientIn, out *rpc2.IsMulticlientOut) error {
	return r.call("IsMulticlient", &in, out)
}

func (r *rpcServer) AttachedToExistingProcess(in rpc2.AttachedToExistingProcessIn, out *rpc2.AttachedToExistingProcessOut) error {
	return r.call("AttachedToExistingProcess", &in, out)
}

// Breakpoints.

func (r *rpcServer) CreateBreakpoint(in rpc2.CreateBreakpointIn, out *rpc2.CreateBreakpointOut) error {
	return r.call("CreateBreakpoint", &in, out)
}

func (r *rpcServer) CreateWatchpoint(in rpc2.CreateWatchpointIn, out *rpc2.CreateWatchpointOut) error {
	return r.call("CreateWatchpoint", &in, out)
}

func (r *rpcServer) CreateEBPFTracepoint(in rpc2.CreateEBPFTracepointIn, out *rpc2.CreateEBPFTracepointOut) error {
	return r.call("CreateEBPFTracepoint", &in, out)
}

func (r *rpcServer) GetBufferedTracepoints(in rpc2.GetBufferedTracepointsIn, out *rpc2.GetBufferedTracepointsOut) error {
	return r.call("GetBufferedTracepoints", &in, out)
}

func (r *rpcServer) ClearBreakpoint(in rpc2.ClearBreakpointIn, out *rpc2.ClearBreakpointOut) error {
	return r.call("ClearBreakpoint", &in, out)
}

func (r *rpcServer) ToggleBreakpoint(in rpc2.ToggleBreakpointIn, out *rpc2.ToggleBreakpointOut) error {
	return r.call("ToggleBreakpoint", &in, out)
}

func (r *rpcServer) AmendBreakpoint(in rpc2.AmendBreakpointIn, out *rpc2.AmendBreakpointOut) error {
	return r.call("AmendBreakpoint", &in, out)
}

func (r *rpcServer) GetBreakpoint(in rpc2.GetBreakpointIn, out *rpc2.GetBreakpointOut) error {
	return r.call("GetBreakpoint", &in, out)
}

func (r *rpcServer) ListBreakpoints(in rpc2.ListBreakpointsIn, out *rpc2.ListBreakpointsOut) error {
	return r.call("ListBreakpoints", &in, out)
}

func (r *rpcServer) CancelNext(in rpc2.CancelNextIn, out *rpc2.CancelNextOut) error {
	return r.call("CancelNext", &in, out)
}

func (r *rpcServer) FunctionReturnLocations(in rpc2.FunctionReturnLocationsIn, out *rpc2.FunctionReturnLocationsOut) error {
	return r.call("FunctionReturnLocations", &in, out)
}

func (r *rpcServer) SetExecutionPoint(in rpc2.SetExecutionPointIn, out *rpc2.SetExecutionPointOut) error {
	return r.call("SetExecutionPoint", &in, out)
}

// Threads, goroutines, stacks.

func (r *rpcServer) ListThreads(in rpc2.ListThreadsIn, out *rpc2.ListThreadsOut) error {
	return r.call("ListThreads", &in, out)
}

func (r *rpcServer) GetThread(in rpc2.GetThreadIn, out *rpc2.GetThreadOut) error {
	return r.call("GetThread", &in, out)
}

func (r *rpcServer) ListGoroutines(in rpc2.ListGoroutinesIn, out *rpc2.ListGoroutinesOut) error {
	return r.call("ListGoroutines", &in, out)
}

func (r *rpcServer) Stacktrace(in rpc2.StacktraceIn, out *rpc2.StacktraceOut) error {
	return r.call("Stacktrace", &in, out)
}

func (r *rpcServer) Ancestors(in rpc2.AncestorsIn, out *rpc2.AncestorsOut) error {
	return r.call("Ancestors", &in, out)
}

func (r *rpcServer) ListTargets(in rpc2.ListTargetsIn, out *rpc2.ListTargetsOut) error {
	return r.call("ListTargets", &in, out)
}

// Variables, registers, memory.

func (r *rpcServer) Eval(in rpc2.EvalIn, out *rpc2.EvalOut) error {
	return r.call("Eval", &in, out)
}

func (r *rpcServer) Set(in rpc2.SetIn, out *rpc2.SetOut) error {
	return r.call("Set", &in, out)
}

func (r *rpcServer) ListLocalVars(in rpc2.ListLocalVarsIn, out *rpc2.ListLocalVarsOut) error {
	return r.call("ListLocalVars", &in, out)
}

func (r *rpcServer) ListFunctionArgs(in rpc2.ListFunctionArgsIn, out *rpc2.ListFunctionArgsOut) error {
	return r.call("ListFunctionArgs", &in, out)
}

func (r *rpcServer) ListPackageVars(in rpc2.ListPackageVarsIn, out *rpc2.ListPackageVarsOut) error {
	return r.call("ListPackageVars", &in, out)
}

func (r *rpcServer) ListRegisters(in rpc2.ListRegistersIn, out *rpc2.ListRegistersOut) error {
	return r.call("ListRegisters", &in, out)
}

func (r *rpcServer) ExamineMemory(in rpc2.ExamineMemoryIn, out *rpc2.ExaminedMemoryOut) error {
	return r.call("ExamineMemory", &in, out)
}

func (r *rpcServer) TypeInfo(in rpc2.TypeInfoIn, out *rpc2.TypeInfoOut) error {
	return r.call("TypeInfo", &in, out)
}

// Symbols and locations.

func (r *rpcServer) FindLocation(in rpc2.FindLocationIn, out *rpc2.FindLocationOut) error {
	return r.call("FindLocation", &in, out)
}

func (r *rpcServer) Disassemble(in rpc2.DisassembleIn, out *rpc2.DisassembleOut) error {
	return r.call("Disassemble", &in, out)
}

func (r *rpcServer) ListSources(in rpc2.ListSourcesIn, out *rpc2.ListSourcesOut) error {
	return r.call("ListSources", &in, out)
}

func (r *rpcServer) ListFunctions(in rpc2.ListFunctionsIn, out *rpc2.ListFunctionsOut) error {
	return r.call("ListFunctions", &in, out)
}

func (r *rpcServer) ListTypes(in rpc2.ListTypesIn, out *rpc2.ListTypesOut) error {
	return r.call("ListTypes", &in, out)
}

func (r *rpcServer) ListPackagesBuildInfo(in rpc2.ListPackagesBuildInfoIn, out *rpc2.ListPackagesBuildInfoOut) error {
	return r.call("ListPackagesBuildInfo", &in, out)
}

func (r *rpcServer) ListDynamicLibraries(in rpc2.ListDynamicLibrariesIn, out *rpc2.ListDynamicLibrariesOut) error {
	return r.call("ListDynamicLibraries", &in, out)
}

func (r *rpcServer) GuessSubstitutePath(in rpc2.GuessSubstitutePathIn, out *rpc2.GuessSubstitutePathOut) error {
	return r.call("GuessSubstitutePath", &in, out)
}

// Debug information, core dumps, children.

func (r *rpcServer) DebugInfoDirectories(in rpc2.DebugInfoDirectoriesIn, out *rpc2.DebugInfoDirectoriesOut) error {
	return r.call("DebugInfoDirectories", &in, out)
}

func (r *rpcServer) CancelDownloads(in rpc2.CancelDownloadsIn, out *rpc2.CancelDownloadsOut) error {
	return r.call("CancelDownloads", &in, out)
}

func (r *rpcServer) DownloadLibraryDebugInfo(in rpc2.DownloadLibraryDebugInfoIn, out *rpc2.DownloadLibraryDebugInfoOut) error {
	return r.call("DownloadLibraryDebugInfo", &in, out)
}

func (r *rpcServer) DumpStart(in rpc2.DumpStartIn, out *rpc2.DumpStartOut) error {
	return r.call("DumpStart", &in, out)
}

func (r *rpcServer) DumpWait(in rpc2.DumpWaitIn, out *rpc2.DumpWaitOut) error {
	return r.call("DumpWait", &in, out)
}

func (r *rpcServer) DumpCancel(in rpc2.DumpCancelIn, out *rpc2.DumpCancelOut) error {
	return r.call("DumpCancel", &in, out)
}

func (r *rpcServer) FollowExec(in rpc2.FollowExecIn, out *rpc2.FollowExecOut) error {
	return r.call("FollowExec", &in, out)
}

func (r *rpcServer) FollowExecEnabled(in rpc2.FollowExecEnabledIn, out *rpc2.FollowExecEnabledOut) error {
	return r.call("FollowExecEnabled", &in, out)
}
