package debugger

import (
	"errors"
	"fmt"
	"net/rpc"
	"sync"
	"time"

	"github.com/go-delve/delve/pkg/proc"
	"github.com/go-delve/delve/pkg/proc/core"
	"github.com/go-delve/delve/service"
	"github.com/go-delve/delve/service/api"
)

// Client is the session's in-process service.Client: Delve's terminal (and
// any other front end written against service.Client) runs on it as it
// would on rpc2.RPCClient, without a connection.
//
// It answers as rpc2's client does. One difference a caller may meet:
// errors keep their types, except that "process has exited" errors are
// rpc.ServerError values, which is how Delve's terminal recognises them.
type Client struct {
	d *Debugger

	mu       sync.Mutex
	retLoad  *api.LoadConfig
	eventsFn func(*api.Event)
}

var _ service.Client = (*Client)(nil)

func (c *Client) returnLoadConfig() *api.LoadConfig {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.retLoad
}

func (c *Client) events() func(*api.Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.eventsFn
}

// clientErr gives "process has exited" errors the type Delve's terminal
// expects from a client (it checks for rpc.ServerError).
func clientErr(err error) error {
	var exited proc.ErrProcessExited
	if err != nil && errors.As(err, &exited) {
		return rpc.ServerError(err.Error())
	}
	return err
}

// GetVersion returns assorted version information.
func (c *Client) GetVersion() *api.GetVersionOut { return c.d.version() }

// ProcessPid returns the pid of the selected target, as dlv's does: the
// process attached or launched until a child of it is selected.
func (c *Client) ProcessPid() int { return c.d.selectedProcessPid() }

// FirstPid returns the pid of the process the session attached to or
// launched, whichever target is selected.
func (c *Client) FirstPid() int { return c.d.pid }

// BuildID returns the GNU build ID of the executable.
func (c *Client) BuildID() string { return c.d.buildID }

// LastModified returns the time the executable was modified.
func (c *Client) LastModified() time.Time { return c.d.lastModified }

// Detach detaches the debugger, optionally killing the process. A process
// dlv-listen launched is always killed, as Delve does.
func (c *Client) Detach(killProcess bool) error { return c.d.detach(killProcess) }

// Restart is not supported.
func (c *Client) Restart(rebuild bool) ([]api.DiscardedBreakpoint, error) {
	return nil, c.restartErr()
}

// RestartFrom is not supported; a position needs a recording.
func (c *Client) RestartFrom(rerecord bool, pos string, resetArgs bool, newArgs []string, newRedirects [3]string, rebuild bool) ([]api.DiscardedBreakpoint, error) {
	if pos != "" || rerecord {
		return nil, ErrNotRecording
	}
	return nil, c.restartErr()
}

func (c *Client) restartErr() error {
	if c.d.isCore() {
		return core.ErrContinueCore // as Delve's core target answers
	}
	if c.d.cfg.AttachPid != 0 {
		return ErrRestartAttached
	}
	return ErrRestartUnsupported
}

// GetState returns the current debugger state, waiting for a running
// command to finish.
func (c *Client) GetState() (*api.DebuggerState, error) {
	st, err := c.d.state(false)
	return st, clientErr(err)
}

// GetStateNonBlocking returns the current debugger state, or {Running:
// true} at once while a command runs the process.
func (c *Client) GetStateNonBlocking() (*api.DebuggerState, error) {
	st, err := c.d.state(true)
	return st, clientErr(err)
}

// Continue resumes the process. The channel receives the state after each
// stop and is closed after the last: while the process stops only at
// tracepoints it is continued again, until another stop, an error, a halt
// or the end of the process.
func (c *Client) Continue() <-chan *api.DebuggerState { return c.continueLoop(api.Continue) }

// DirectionCongruentContinue is Continue: execution only goes forward.
func (c *Client) DirectionCongruentContinue() <-chan *api.DebuggerState {
	return c.continueLoop(api.DirectionCongruentContinue)
}

// Rewind is not supported: the channel receives one state carrying the
// error.
func (c *Client) Rewind() <-chan *api.DebuggerState {
	ch := make(chan *api.DebuggerState, 1)
	ch <- &api.DebuggerState{Err: c.d.errNotRecording()}
	close(ch)
	return ch
}

func (c *Client) continueLoop(name string) <-chan *api.DebuggerState {
	ch := make(chan *api.DebuggerState)
	run := c.prepareContinue(name, stateFull)
	go func() {
		defer close(ch)
		run(func(st *api.DebuggerState) { ch <- st })
	}()
	return ch
}

// PrepareContinue is Continue (name api.Continue) or
// DirectionCongruentContinue for a caller that runs it on its own
// goroutine: the command is registered at once, so a Halt issued as soon as
// this returns is kept, and run does what Continue's goroutine does, giving
// each state to fn instead of a channel, and returns after the last. A
// server that has a goroutine for the command already (DAP's) saves the
// hand-off of the command to another goroutine and of each state back.
// run must be called once.
//
// With brief, the states tell only what a stop's announcement needs (see
// stateBrief): a DAP server asks for threads, stacks and goroutines with
// requests of their own.
func (c *Client) PrepareContinue(name string, brief bool) (run func(fn func(*api.DebuggerState))) {
	detail := stateFull
	if brief {
		detail = stateBrief
	}
	return c.prepareContinue(name, detail)
}

func (c *Client) prepareContinue(name string, detail stateDetail) (run func(fn func(*api.DebuggerState))) {
	halts := c.d.halts.Load()
	r := c.d.beginRun()
	return func(fn func(*api.DebuggerState)) {
		for {
			cmd := &api.DebuggerCommand{Name: name, ReturnInfoLoadConfig: c.returnLoadConfig()}
			st, err := c.d.command(cmd, c.events(), r, detail)
			r = nil
			if err != nil {
				st = &api.DebuggerState{Err: clientErr(err)}
			}
			if st.Exited {
				//lint:ignore ST1005 the terminal matches this text
				st.Err = fmt.Errorf("Process %d has exited with status %d", c.d.pid, st.ExitStatus)
			}
			fn(st)
			if err != nil || st.Exited || !onlyTracepoints(st) || c.d.halts.Load() != halts {
				return
			}
		}
	}
}

// onlyTracepoints reports whether the process stopped at breakpoints and
// all of them are tracepoints.
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

func (c *Client) step(name string, withRetCfg bool) (*api.DebuggerState, error) {
	cmd := &api.DebuggerCommand{Name: name}
	if withRetCfg {
		cmd.ReturnInfoLoadConfig = c.returnLoadConfig()
	}
	st, err := c.d.command(cmd, c.events(), nil, stateFull)
	if st == nil {
		st = &api.DebuggerState{}
	}
	return st, clientErr(err)
}

// Next continues to the next source line, not entering function calls.
func (c *Client) Next() (*api.DebuggerState, error) { return c.step(api.Next, true) }

// Step continues to the next source line, entering function calls.
func (c *Client) Step() (*api.DebuggerState, error) { return c.step(api.Step, true) }

// StepOut continues to the return address of the current function.
func (c *Client) StepOut() (*api.DebuggerState, error) { return c.step(api.StepOut, true) }

// StepInstruction executes one instruction; with skipCalls a CALL runs to
// its return.
func (c *Client) StepInstruction(skipCalls bool) (*api.DebuggerState, error) {
	if skipCalls {
		return c.step(api.NextInstruction, false)
	}
	return c.step(api.StepInstruction, false)
}

// ReverseNext is not supported.
func (c *Client) ReverseNext() (*api.DebuggerState, error) { return nil, c.d.errNotRecording() }

// ReverseStep is not supported.
func (c *Client) ReverseStep() (*api.DebuggerState, error) { return nil, c.d.errNotRecording() }

// ReverseStepOut is not supported.
func (c *Client) ReverseStepOut() (*api.DebuggerState, error) { return nil, c.d.errNotRecording() }

// ReverseStepInstruction is not supported.
func (c *Client) ReverseStepInstruction(skipCalls bool) (*api.DebuggerState, error) {
	return nil, c.d.errNotRecording()
}

// Call injects a call of expr on goroutine goroutineID (0: the selected
// one); its return values are in CurrentThread.ReturnValues, loaded with
// the configuration of SetReturnValuesLoadConfig.
func (c *Client) Call(goroutineID int64, expr string, unsafe bool) (*api.DebuggerState, error) {
	cmd := &api.DebuggerCommand{Name: api.Call, ReturnInfoLoadConfig: c.returnLoadConfig(), Expr: expr, UnsafeCall: unsafe, GoroutineID: goroutineID}
	st, err := c.d.command(cmd, c.events(), nil, stateFull)
	if st == nil {
		st = &api.DebuggerState{}
	}
	return st, clientErr(err)
}

// SwitchThread switches the current thread.
func (c *Client) SwitchThread(threadID int) (*api.DebuggerState, error) {
	return c.d.command(&api.DebuggerCommand{Name: api.SwitchThread, ThreadID: threadID}, nil, nil, stateFull)
}

// SwitchGoroutine switches the current goroutine (and thread).
func (c *Client) SwitchGoroutine(goroutineID int64) (*api.DebuggerState, error) {
	return c.d.command(&api.DebuggerCommand{Name: api.SwitchGoroutine, GoroutineID: goroutineID}, nil, nil, stateFull)
}

// Halt stops the process, from any goroutine: a running command returns,
// and Halt answers with the state after it. No signal reaches the
// program (PTRACE_INTERRUPT), and a job-control stop is kept.
func (c *Client) Halt() (*api.DebuggerState, error) {
	st, err := c.d.command(&api.DebuggerCommand{Name: api.Halt}, nil, nil, stateFull)
	return st, clientErr(err)
}

// GetBreakpoint gets a breakpoint by ID.
func (c *Client) GetBreakpoint(id int) (*api.Breakpoint, error) { return c.d.findBreakpoint(id, "") }

// GetBreakpointByName gets a breakpoint by name.
func (c *Client) GetBreakpointByName(name string) (*api.Breakpoint, error) {
	if name == "" {
		return nil, errors.New("no breakpoint name given")
	}
	return c.d.findBreakpoint(0, name)
}

// CreateBreakpoint creates a breakpoint (see CreateBreakpointWithExpr).
func (c *Client) CreateBreakpoint(bp *api.Breakpoint) (*api.Breakpoint, error) {
	return c.d.createBreakpoint(bp, "", nil, false)
}

// CreateBreakpointWithExpr creates a breakpoint, keeping locExpr to place
// it again when it is re-enabled; suspended keeps it even when its
// location is not found yet.
func (c *Client) CreateBreakpointWithExpr(bp *api.Breakpoint, locExpr string, substitutePathRules [][2]string, suspended bool) (*api.Breakpoint, error) {
	return c.d.createBreakpoint(bp, locExpr, substitutePathRules, suspended)
}

// SetExecutionPoint moves the current thread to addr without executing
// anything ("set next statement").
func (c *Client) SetExecutionPoint(addr uint64) (*api.DebuggerState, error) {
	return c.d.setExecutionPoint(addr)
}

// CreateWatchpoint creates a hardware watchpoint on expr.
func (c *Client) CreateWatchpoint(scope api.EvalScope, expr string, wtype api.WatchType) (*api.Breakpoint, error) {
	return c.d.createWatchpoint(scope, expr, wtype)
}

// ListBreakpoints lists the user's breakpoints, or with all every
// physical breakpoint, internal ones included.
func (c *Client) ListBreakpoints(all bool) ([]*api.Breakpoint, error) {
	return c.d.listBreakpoints(all), nil
}

// ClearBreakpoint deletes a breakpoint by ID.
func (c *Client) ClearBreakpoint(id int) (*api.Breakpoint, error) {
	return c.d.clearBreakpoint(id, "", 0)
}

// ClearBreakpointByName deletes a breakpoint by name.
func (c *Client) ClearBreakpointByName(name string) (*api.Breakpoint, error) {
	if name == "" {
		return nil, errors.New("no breakpoint name given")
	}
	return c.d.clearBreakpoint(0, name, 0)
}

// ToggleBreakpoint enables or disables a breakpoint by ID.
func (c *Client) ToggleBreakpoint(id int) (*api.Breakpoint, error) {
	return c.d.toggleBreakpoint(id, "")
}

// ToggleBreakpointByName enables or disables a breakpoint by name.
func (c *Client) ToggleBreakpointByName(name string) (*api.Breakpoint, error) {
	if name == "" {
		return nil, errors.New("no breakpoint name given")
	}
	return c.d.toggleBreakpoint(0, name)
}

// AmendBreakpoint changes an existing breakpoint (found by ID): what it
// loads, its conditions, whether it is enabled.
func (c *Client) AmendBreakpoint(bp *api.Breakpoint) error { return c.d.amendBreakpoint(bp) }

// CancelNext cancels a next, step or stepout interrupted by a halt or
// another breakpoint.
func (c *Client) CancelNext() error { return c.d.cancelNext() }

// ListThreads lists all threads.
func (c *Client) ListThreads() ([]*api.Thread, error) { return c.d.threads() }

// GetThread gets a thread by its ID.
func (c *Client) GetThread(id int) (*api.Thread, error) { return c.d.thread(id) }

// ListPackageVariables lists package variables matching filter.
func (c *Client) ListPackageVariables(filter string, cfg api.LoadConfig) ([]api.Variable, error) {
	return c.d.packageVariables(filter, *api.LoadConfigToProc(&cfg))
}

// EvalVariable evaluates expr in scope.
func (c *Client) EvalVariable(scope api.EvalScope, expr string, cfg api.LoadConfig) (*api.Variable, error) {
	return c.d.evalVariable(scope, expr, *api.LoadConfigToProc(&cfg))
}

// TypeInfo describes a type.
func (c *Client) TypeInfo(name string) (*api.TypeInfo, error) { return c.d.typeInfo(name) }

// SetVariable sets symbol to value in scope.
func (c *Client) SetVariable(scope api.EvalScope, symbol, value string) error {
	return c.d.setVariable(scope, symbol, value)
}

// ListSources lists the source files matching filter.
func (c *Client) ListSources(filter string) ([]string, error) { return c.d.sources(filter) }

// ListFunctions lists the functions matching filter; with tracefollow > 0
// also the functions they call, that many levels deep.
func (c *Client) ListFunctions(filter string, tracefollow int) ([]string, error) {
	return c.d.functions(filter, tracefollow)
}

// ListTypes lists the types matching filter.
func (c *Client) ListTypes(filter string) ([]string, error) { return c.d.types(filter) }

// ListPackagesBuildInfo lists the packages matching filter.
func (c *Client) ListPackagesBuildInfo(filter string, includeFiles bool) ([]api.PackageBuildInfo, error) {
	return c.d.packagesBuildInfo(filter, includeFiles)
}

// ListLocalVariables lists the local variables of scope.
func (c *Client) ListLocalVariables(scope api.EvalScope, cfg api.LoadConfig) ([]api.Variable, error) {
	return c.d.localVariables(scope, *api.LoadConfigToProc(&cfg))
}

// ListFunctionArgs lists the arguments of scope's function.
func (c *Client) ListFunctionArgs(scope api.EvalScope, cfg api.LoadConfig) ([]api.Variable, error) {
	return c.d.functionArgs(scope, *api.LoadConfigToProc(&cfg))
}

// ListThreadRegisters lists a thread's registers (0: the current thread).
func (c *Client) ListThreadRegisters(threadID int, includeFp bool) (api.Registers, error) {
	return c.d.registers(threadID, nil, includeFp)
}

// ListScopeRegisters lists the registers of a frame.
func (c *Client) ListScopeRegisters(scope api.EvalScope, includeFp bool) (api.Registers, error) {
	return c.d.registers(0, &scope, includeFp)
}

// ListGoroutines lists count goroutines (0: all) from start; the int is
// where to start next time (-1: no more).
func (c *Client) ListGoroutines(start, count int) ([]*api.Goroutine, int, error) {
	gs, _, next, _, err := c.d.goroutines(start, count, nil, nil, nil)
	return gs, next, err
}

// ListGoroutinesWithFilter lists goroutines kept by filters, grouped as
// group says (nil: not grouped).
func (c *Client) ListGoroutinesWithFilter(start, count int, filters []api.ListGoroutinesFilter, group *api.GoroutineGroupingOptions, scope *api.EvalScope) ([]*api.Goroutine, []api.GoroutineGroup, int, bool, error) {
	return c.d.goroutines(start, count, filters, group, scope)
}

// Stacktrace returns the stack of a goroutine.
func (c *Client) Stacktrace(goroutineID int64, depth, skip int, opts api.StacktraceOptions, cfg *api.LoadConfig) ([]api.Stackframe, error) {
	return c.d.stacktrace(goroutineID, depth, skip, opts, api.LoadConfigToProc(cfg))
}

// Ancestors returns the stacks of the goroutines that created a goroutine.
func (c *Client) Ancestors(goroutineID int64, numAncestors int, depth int) ([]api.Ancestor, error) {
	return c.d.ancestors(goroutineID, numAncestors, depth)
}

// AttachedToExistingProcess reports whether we attached (not launched).
func (c *Client) AttachedToExistingProcess() bool { return c.d.cfg.AttachPid != 0 }

// FindLocation resolves a location expression (see service.Client).
func (c *Client) FindLocation(scope api.EvalScope, loc string, findInstruction bool, substitutePathRules [][2]string) ([]api.Location, string, error) {
	return c.d.findLocation(scope, loc, !findInstruction, substitutePathRules)
}

// DisassembleRange disassembles [startPC, endPC).
func (c *Client) DisassembleRange(scope api.EvalScope, startPC, endPC uint64, flavour api.AssemblyFlavour) (api.AsmInstructions, error) {
	return c.d.disassemble(scope, startPC, endPC, flavour)
}

// DisassemblePC disassembles the function holding pc.
func (c *Client) DisassemblePC(scope api.EvalScope, pc uint64, flavour api.AssemblyFlavour) (api.AsmInstructions, error) {
	return c.d.disassemble(scope, pc, 0, flavour)
}

// Recorded is false: dlv-listen debugs live processes only.
func (c *Client) Recorded() bool { return c.d.isCore() }

// TraceDirectory is not supported.
func (c *Client) TraceDirectory() (string, error) { return "", ErrNotRecording }

// Checkpoint is not supported.
func (c *Client) Checkpoint(where string) (int, error) { return -1, ErrNotRecording }

// ListCheckpoints is not supported.
func (c *Client) ListCheckpoints() ([]api.Checkpoint, error) { return nil, ErrNotRecording }

// ClearCheckpoint is not supported.
func (c *Client) ClearCheckpoint(id int) error { return ErrNotRecording }

// SetReturnValuesLoadConfig sets how return values are loaded (Next,
// Step, StepOut, Call, Continue).
func (c *Client) SetReturnValuesLoadConfig(cfg *api.LoadConfig) {
	c.mu.Lock()
	c.retLoad = cfg
	c.mu.Unlock()
}

// SetEventsFn sets a function that receives proc's events (resumed,
// stopped, downloads, breakpoints materialised...) while commands run.
func (c *Client) SetEventsFn(fn func(*api.Event)) {
	c.mu.Lock()
	c.eventsFn = fn
	c.mu.Unlock()
}

// IsMulticlient is false: the client is in-process.
func (c *Client) IsMulticlient() bool { return false }

// ListDynamicLibraries lists the loaded shared libraries.
func (c *Client) ListDynamicLibraries() ([]api.Image, bool, error) {
	imgs, trimpath := c.d.dynamicLibraries()
	return imgs, trimpath, nil
}

// ExamineMemory reads length bytes at address (little endian: true).
func (c *Client) ExamineMemory(address uint64, length int) ([]byte, bool, error) {
	mem, err := c.d.examineMemory(address, length)
	if err != nil {
		return nil, false, err
	}
	return mem, true, nil
}

// StopRecording is not supported.
func (c *Client) StopRecording() error { return ErrNotRecording }

// CoreDumpStart starts writing a core file of the process to dest and
// returns its first progress report.
func (c *Client) CoreDumpStart(dest string) (api.DumpState, error) { return c.d.dumpStart(dest) }

// CoreDumpWait waits up to msec milliseconds for the dump to end and
// returns its progress.
func (c *Client) CoreDumpWait(msec int) api.DumpState {
	return c.d.dumpWait(time.Duration(msec) * time.Millisecond)
}

// CoreDumpCancel cancels the dump in progress.
func (c *Client) CoreDumpCancel() error { return c.d.dumpCancel() }

// ListTargets lists the debugged processes that are still alive.
func (c *Client) ListTargets() ([]api.Target, error) { return c.d.targets(), nil }

// FollowExec turns following exec'd children on or off (regex "" = any
// command line).
func (c *Client) FollowExec(enable bool, regex string) error { return c.d.FollowExec(enable, regex) }

// FollowExecEnabled reports whether follow-exec is on.
func (c *Client) FollowExecEnabled() bool { return c.d.FollowExecEnabled() }

// Disconnect does nothing: an in-process client has no connection, and the
// session is not shared (a caller that wants to let the process go calls
// Detach).
func (c *Client) Disconnect(cont bool) error { return nil }

// SetDebugInfoDirectories sets where separate debug information is looked
// for.
func (c *Client) SetDebugInfoDirectories(dirs []string) error {
	c.d.setDebugInfoDirs(dirs)
	return nil
}

// GetDebugInfoDirectories returns where separate debug information is
// looked for.
func (c *Client) GetDebugInfoDirectories() ([]string, error) { return c.d.debugInfoDirs(), nil }

// GuessSubstitutePath returns no rules: the session runs on the same
// machine as its client, so paths need no substitution.
func (c *Client) GuessSubstitutePath() ([][2]string, error) { return nil, nil }

// CancelDownloads cancels debug information downloads in progress.
func (c *Client) CancelDownloads() error {
	c.d.grp.CancelDownloads()
	return nil
}

// DownloadLibraryDebugInfo downloads the debug information of library n
// (an index in ListDynamicLibraries; -1: all that failed to load).
func (c *Client) DownloadLibraryDebugInfo(n int) error {
	return c.d.downloadLibraryDebugInfo(n, c.events())
}

// FunctionReturnLocations returns the addresses where fnName returns (not
// part of service.Client; rpc2's client has it).
func (c *Client) FunctionReturnLocations(fnName string) ([]uint64, error) {
	return c.d.functionReturnLocations(fnName)
}
