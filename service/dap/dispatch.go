package dap

import (
	"fmt"
	"regexp"

	"github.com/google/go-dap"
)

// handle answers one message; it returns true when the connection is to
// end (after disconnect). The rules are dlv's: most requests need a
// stopped debuggee and get "debuggee is running" otherwise; continue and
// the steps run on their own goroutine so pause can reach them.
func (ss *session) handle(msg dap.Message) (end bool) {
	defer ss.recoverPanic(msg.GetSeq())
	reqMsg, ok := msg.(dap.RequestMessage)
	if !ok {
		ss.sendInternalError(msg.GetSeq(), fmt.Sprintf("Unable to process non-request %#v", msg))
		return false
	}
	req := *reqMsg.GetRequest()

	// As in dlv, requests before initialize are answered as they come
	// (most get "No debug session started").
	ss.mu.Lock()
	nd := ss.noDebug
	ss.mu.Unlock()

	switch r := msg.(type) {
	case *dap.InitializeRequest:
		ss.onInitialize(r)
		return false
	case *dap.DisconnectRequest:
		ss.onDisconnect(r)
		return true
	}
	if nd != nil {
		switch r := msg.(type) {
		case *dap.RestartRequest:
			ss.sendUnsupported(r.Request)
		default:
			ss.sendError(req, NoDebugIsRunning, "noDebug mode", fmt.Sprintf("unable to process '%s' request", req.Command))
		}
		return false
	}

	// Requests that are answered whatever the state of the debuggee.
	switch r := msg.(type) {
	case *dap.LaunchRequest:
		ss.onLaunch(r)
		return false
	case *dap.AttachRequest:
		ss.onAttach(r)
		return false
	case *dap.PauseRequest:
		ss.onPause(r)
		return false
	case *dap.TerminateRequest:
		ss.onTerminate(r)
		return false
	case *dap.RestartRequest:
		ss.onRestart(r)
		return false
	case *signalRequest:
		ss.onSignal(r)
		return false
	}

	d, _ := ss.debugger()
	if ss.runningCmd.Load() {
		switch r := msg.(type) {
		case *dap.ThreadsRequest:
			// The client asks for threads right after configurationDone,
			// while the program runs: a placeholder keeps pause usable.
			ss.send(&dap.ThreadsResponse{Response: *ss.newResponse(r.Request),
				Body: dap.ThreadsResponseBody{Threads: []dap.Thread{{Id: -1, Name: "Current"}}}})
		case *dap.SetBreakpointsRequest:
			ss.whileHalted(r.Request, func() { ss.onSetBreakpoints(r) })
		case *dap.SetFunctionBreakpointsRequest:
			ss.whileHalted(r.Request, func() { ss.onSetFunctionBreakpoints(r) })
		case *dap.SetInstructionBreakpointsRequest:
			ss.whileHalted(r.Request, func() { ss.onSetInstructionBreakpoints(r) })
		case *dap.EvaluateRequest:
			if jobCmdRe.MatchString(r.Arguments.Expression) {
				// "dlv jobs" and "dlv signal" need no stopped process:
				// SIGCONT is how a continue waiting on a job-control stop
				// goes on.
				ss.onEvaluate(r)
				return false
			}
			ss.sendError(req, DebuggeeIsRunning, fmt.Sprintf("Unable to process `%s`", req.Command), "debuggee is running")
		case *dap.DataBreakpointInfoRequest, *dap.SetDataBreakpointsRequest:
			ss.sendError(req, UnableToSetBreakpoints, canNotSetDataBreakpointWhileRunning, canNotSetDataBreakpointWhileRunning)
		default:
			ss.sendError(req, DebuggeeIsRunning, fmt.Sprintf("Unable to process `%s`", req.Command), "debuggee is running")
		}
		return false
	}
	if d == nil {
		ss.sendShowUserError(req, NoDebugIsRunning, "No debug session started", "Use launch or attach request first.")
		return false
	}

	switch r := msg.(type) {
	// Resuming requests: answered here, run on their own goroutine.
	case *dap.ConfigurationDoneRequest:
		ss.onConfigurationDone(r)
	case *dap.ContinueRequest:
		ss.onContinue(r)
	case *dap.NextRequest:
		ss.onStep(r.Request, stepNext, r.Arguments.ThreadId, r.Arguments.Granularity, &dap.NextResponse{Response: *ss.newResponse(r.Request)})
	case *dap.StepInRequest:
		ss.onStep(r.Request, stepIn, r.Arguments.ThreadId, r.Arguments.Granularity, &dap.StepInResponse{Response: *ss.newResponse(r.Request)})
	case *dap.StepOutRequest:
		ss.onStep(r.Request, stepOut, r.Arguments.ThreadId, r.Arguments.Granularity, &dap.StepOutResponse{Response: *ss.newResponse(r.Request)})
	case *dap.StepBackRequest, *dap.ReverseContinueRequest:
		// SupportsStepBack is never advertised: there is no recording.
		ss.sendUnsupported(req)

	case *dap.SetBreakpointsRequest:
		ss.onSetBreakpoints(r)
	case *dap.SetFunctionBreakpointsRequest:
		ss.onSetFunctionBreakpoints(r)
	case *dap.SetInstructionBreakpointsRequest:
		ss.onSetInstructionBreakpoints(r)
	case *dap.SetExceptionBreakpointsRequest:
		ss.onSetExceptionBreakpoints(r)
	case *dap.DataBreakpointInfoRequest:
		ss.onDataBreakpointInfo(r)
	case *dap.SetDataBreakpointsRequest:
		ss.onSetDataBreakpoints(r)
	case *dap.ThreadsRequest:
		ss.onThreads(r)
	case *dap.StackTraceRequest:
		ss.onStackTrace(r)
	case *dap.ScopesRequest:
		ss.onScopes(r)
	case *dap.VariablesRequest:
		ss.onVariables(r)
	case *dap.EvaluateRequest:
		ss.onEvaluate(r)
	case *dap.SetVariableRequest:
		ss.onSetVariable(r)
	case *dap.SetExpressionRequest:
		ss.onSetExpression(r)
	case *dap.ExceptionInfoRequest:
		ss.onExceptionInfo(r)
	case *dap.DisassembleRequest:
		ss.onDisassemble(r)
	case *dap.ReadMemoryRequest:
		ss.onReadMemory(r)
	case *dap.WriteMemoryRequest:
		ss.onWriteMemory(r)
	case *dap.ModulesRequest:
		ss.onModules(r)
	case *dap.LoadedSourcesRequest:
		ss.onLoadedSources(r)
	case *dap.CancelRequest:
		ss.sendError(req, NotYetImplemented, "Not yet implemented", fmt.Sprintf("cannot process %q request", req.Command))
	default:
		// source, restartFrame, goto, gotoTargets, terminateThreads,
		// stepInTargets, completions, breakpointLocations...: not
		// advertised, as in dlv.
		ss.sendUnsupported(req)
	}
	return false
}

// jobCmdRe matches the repl commands answered while the program runs.
var jobCmdRe = regexp.MustCompile(`^\s*dlv\s+(jobs|signal)(\s|$)`)

const canNotSetDataBreakpointWhileRunning = "Can not set data breakpoints while the process is running"

// whileHalted runs fn (a breakpoint request) with the running program
// halted; the run loop resumes it afterwards, since neither a breakpoint
// nor a pause request was the reason of the stop.
func (ss *session) whileHalted(req dap.Request, fn func()) {
	ss.changeStateMu.Lock()
	defer ss.changeStateMu.Unlock()
	if ss.runningCmd.Load() {
		ss.internalHalt.Store(true)
	}
	if _, err := ss.halt(); err != nil {
		ss.sendError(req, UnableToSetBreakpoints, "Unable to set or clear breakpoints", err.Error())
		return
	}
	fn()
}
