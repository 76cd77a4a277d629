package dap

import (
	"errors"
	"fmt"
	"strings"

	"github.com/go-delve/delve/pkg/proc"
	"github.com/go-delve/delve/service/api"
	"github.com/google/go-dap"
)

// The resuming commands the run loop knows.
const (
	cmdContinue        = api.Continue
	cmdCongruent       = api.DirectionCongruentContinue
	cmdNext            = api.Next
	cmdStep            = api.Step
	cmdStepOut         = api.StepOut
	cmdStepInstruction = api.StepInstruction
)

type stepKind int

const (
	stepNext stepKind = iota
	stepIn
	stepOut
)

// Texts dlv puts in stopped events and exceptionInfo for two errors.
const (
	betterBadAccessError = `invalid memory address or nil pointer dereference [signal SIGSEGV: segmentation violation]
Unable to propagate EXC_BAD_ACCESS signal to target process and panic (see https://github.com/go-delve/delve/issues/852)`
	betterNextWhileNextingError = `Unable to step while the previous step is interrupted by a breakpoint.
Use 'Continue' to resume the original step command.`
)

func (ss *session) onContinue(r *dap.ContinueRequest) {
	ss.send(&dap.ContinueResponse{Response: *ss.newResponse(r.Request), Body: dap.ContinueResponseBody{AllThreadsContinued: true}})
	ss.startRun(cmdContinue)
}

func (ss *session) onStep(req dap.Request, kind stepKind, threadID int, granularity dap.SteppingGranularity, resp dap.Message) {
	// Every thread runs during a step: tell the editor, as dlv does.
	ss.markRunning()
	ss.send(&dap.ContinuedEvent{Event: *ss.newEvent("continued"), Body: dap.ContinuedEventBody{ThreadId: threadID, AllThreadsContinued: true}})
	ss.send(resp)
	cmd := map[stepKind]string{stepNext: cmdNext, stepIn: cmdStep, stepOut: cmdStepOut}[kind]
	if granularity == "instruction" {
		cmd = cmdStepInstruction
	}
	ss.haltRequested.Store(false)
	ss.internalHalt.Store(false)
	ss.runningCmd.Store(true)
	go func() {
		defer ss.recoverPanic(req.Seq)
		_, c := ss.debugger()
		k, err := ss.selectThread(threadID)
		if err == nil {
			_, err = c.SwitchGoroutine(k.goid)
		}
		if err != nil {
			ss.runningCmd.Store(false)
			stopped := &dap.StoppedEvent{Event: *ss.newEvent("stopped")}
			stopped.Body.AllThreadsStopped = true
			if st, err := c.GetState(); err == nil {
				stopped.Body.ThreadId = ss.stoppedThread(st)
			}
			stopped.Body.Reason = "error"
			stopped.Body.Text = err.Error()
			ss.markStopped(false)
			ss.send(stopped)
			return
		}
		ss.runUntilStopAndNotify(cmd)
	}()
}

// startRun resumes the program on its own goroutine; the request loop goes
// on (pause, breakpoints while running).
func (ss *session) startRun(cmd string) {
	ss.markRunning()
	ss.haltRequested.Store(false)
	ss.internalHalt.Store(false)
	ss.runningCmd.Store(true)
	go func() {
		defer ss.recoverPanic(0)
		ss.runUntilStopAndNotify(cmd)
	}()
}

// halt stops the program if it runs, and returns the state.
func (ss *session) halt() (*api.DebuggerState, error) {
	_, c := ss.debugger()
	if ss.runningCmd.Load() {
		return c.Halt()
	}
	if st, err := c.GetStateNonBlocking(); err == nil && st.Running {
		return c.Halt()
	}
	return c.GetState()
}

func (ss *session) onPause(r *dap.PauseRequest) {
	d, _ := ss.debugger()
	if d == nil {
		ss.sendError(r.Request, UnableToHalt, "Unable to halt execution", "no debug session: use launch or attach first")
		return
	}
	ss.changeStateMu.Lock()
	defer ss.changeStateMu.Unlock()
	ss.haltRequested.Store(true)
	if _, err := ss.halt(); err != nil {
		ss.sendError(r.Request, UnableToHalt, "Unable to halt execution", err.Error())
		return
	}
	// The run loop, if one runs, sends the stopped event (reason pause).
	ss.send(&dap.PauseResponse{Response: *ss.newResponse(r.Request)})
}

func processExited(st *api.DebuggerState, err error) bool {
	var exited proc.ErrProcessExited
	if errors.As(err, &exited) {
		return true
	}
	if err != nil && strings.Contains(err.Error(), "has exited with status") {
		return true
	}
	return err == nil && st != nil && st.Exited
}

func exitCode(st *api.DebuggerState, err error) int {
	var exited proc.ErrProcessExited
	if errors.As(err, &exited) {
		return exited.Status
	}
	if st != nil {
		return st.ExitStatus
	}
	return 0
}

// runUntilStop resumes with cmd until a stop the editor must see: a real
// breakpoint, a pause, the end of a step, an error, the end of the
// process. Stops at tracepoints (logpoints) and halts made to set
// breakpoints resume at once.
func (ss *session) runUntilStop(cmd string) (*api.DebuggerState, error) {
	defer ss.runningCmd.Store(false)
	stepping := cmd == cmdNext || cmd == cmdStep || cmd == cmdStepOut
	for {
		resumed, st, err := ss.resumeOnce(cmd)
		if !resumed || processExited(st, err) || st == nil || err != nil || ss.isClosed() || ss.left() {
			return st, err
		}
		if cmd != cmdContinue && cmd != cmdCongruent {
			ss.handleLogPoints(st)
		}
		onBp := ss.stoppedGs(st)
		internal := ss.internalHalt.Swap(false)
		switch st.StopReason {
		case proc.StopManual.String():
			// Resume only after our own halt to set breakpoints; a halt
			// from elsewhere (another client, the session closing) is a
			// stop to show, never to undo.
			if ss.haltRequested.Load() || !internal {
				return st, nil
			}
			// Our halt can meet the stop the command was running to: proc
			// then reports the halt (Continue's deferred finishManualStop
			// overwrites the stop reason). That stop is the one to show.
			switch {
			case len(onBp) > 0:
				// A goroutine hit a breakpoint as the halt came.
				st.StopReason = proc.StopBreakpoint.String()
				return st, nil
			case stepping && !st.NextInProgress:
				// The step reached its end as the halt came: the halt
				// keeps an unfinished step's breakpoints
				// (KeepSteppingBreakpoints), so none left means proc
				// finished the step and cleared them. Resuming would run
				// on past its end (issue 16: a next lost this way).
				st.StopReason = proc.StopNextFinished.String()
				return st, nil
			}
		case proc.StopBreakpoint.String():
			if len(onBp) > 0 || ss.haltRequested.Load() {
				return st, nil
			}
		default:
			return st, nil
		}
		if cmd == cmdStepInstruction {
			return st, nil
		}
		cmd = cmdCongruent
	}
}

// resumeOnce runs one resuming command. changeStateMu is held only until
// the command is registered with the session, so pause and breakpoint
// requests can halt it.
func (ss *session) resumeOnce(cmd string) (bool, *api.DebuggerState, error) {
	_, c := ss.debugger()
	ss.changeStateMu.Lock()
	if ss.haltRequested.Load() {
		ss.changeStateMu.Unlock()
		st, err := c.GetState()
		return false, st, err
	}
	switch cmd {
	case cmdContinue, cmdCongruent:
		// Run here, on the run goroutine (Continue would hand the command
		// to a goroutine of its own and each state back).
		run := c.PrepareContinue(cmd, true)
		ss.changeStateMu.Unlock()
		var last *api.DebuggerState
		run(func(st *api.DebuggerState) {
			last = st
			if st.Err == nil {
				ss.handleLogPoints(st)
			}
		})
		if last == nil {
			return true, nil, errors.New("continue returned no state")
		}
		if last.Err != nil {
			if last.Exited {
				return true, last, nil
			}
			return true, nil, last.Err
		}
		return true, last, nil
	}
	ss.changeStateMu.Unlock()
	var st *api.DebuggerState
	var err error
	switch cmd {
	case cmdNext:
		st, err = c.Next()
	case cmdStep:
		st, err = c.Step()
	case cmdStepOut:
		st, err = c.StepOut()
	case cmdStepInstruction:
		st, err = c.StepInstruction(false)
	default:
		err = fmt.Errorf("unknown command %q", cmd)
	}
	if err != nil && !processExited(st, err) {
		return true, nil, err
	}
	return true, st, err
}

// left reports whether the client has left the session (a disconnect
// that kept a headless session): a stop then is someone else's to handle,
// never a reason to resume.
func (ss *session) left() bool {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return ss.ended
}

func (ss *session) isClosed() bool {
	select {
	case <-ss.closed:
		return true
	default:
		return false
	}
}

func stoppedGoroutineID(st *api.DebuggerState) int64 {
	switch {
	case st.SelectedGoroutine != nil:
		return st.SelectedGoroutine.ID
	case st.CurrentThread != nil:
		return st.CurrentThread.GoroutineID
	}
	return 0
}

// stoppedG is a goroutine stopped at a breakpoint: its DAP thread id and
// the thread it runs on.
type stoppedG struct {
	thread int
	th     *api.Thread
}

// stoppedGs lists the goroutines stopped at a real (not trace) breakpoint,
// the current thread's first, in every process of the session.
func (ss *session) stoppedGs(st *api.DebuggerState) []stoppedG {
	// The processes of the threads, asked of the session only when a
	// thread other than the current one is at a breakpoint (rare).
	var pids map[int]int
	threadOf := func(th *api.Thread) int {
		if pids == nil {
			d, _ := ss.debugger()
			pids = ss.threadPids(d, st)
		}
		return ss.threadOfThread(th, pids)
	}
	var gs []stoppedG
	cur := st.CurrentThread
	if cur != nil && cur.Breakpoint != nil && !cur.Breakpoint.Tracepoint {
		gs = append(gs, stoppedG{ss.threadOf(st.Pid, cur.GoroutineID), cur})
	}
	if st.StopReason == proc.StopHardcodedBreakpoint.String() {
		gs = append(gs, stoppedG{ss.stoppedThread(st), cur})
	}
	for _, th := range st.Threads {
		if th.Function != nil && th.Function.Name() == "runtime.breakpoint" {
			gs = append(gs, stoppedG{threadOf(th), th})
			continue
		}
		if cur != nil && th.ID == cur.ID {
			continue
		}
		if th.Breakpoint != nil && !th.Breakpoint.Tracepoint {
			gs = append(gs, stoppedG{threadOf(th), th})
		}
	}
	return gs
}

// stoppedOnBreakpoint returns the DAP thread id of the first goroutine
// stopped at a real breakpoint, and that breakpoint.
func (ss *session) stoppedOnBreakpoint(st *api.DebuggerState) (int, *api.Breakpoint) {
	gs := ss.stoppedGs(st)
	if len(gs) == 0 {
		return 0, nil
	}
	g := gs[0]
	if g.th == nil || g.th.GoroutineID == 0 {
		if st.CurrentThread != nil {
			return g.thread, st.CurrentThread.Breakpoint
		}
		return g.thread, nil
	}
	return g.thread, g.th.Breakpoint
}

// runUntilStopAndNotify runs cmd and tells the editor how it ended: a
// stopped event, or exited and terminated events.
func (ss *session) runUntilStopAndNotify(cmd string) {
	st, err := ss.runUntilStop(cmd)
	if ss.isClosed() || ss.left() {
		// The client has left (disconnect): the halt that ended the
		// session is no stop to show it.
		return
	}
	d, c := ss.debugger()
	if processExited(st, err) {
		ss.outputWG.Wait()
		ss.send(&dap.ExitedEvent{Event: *ss.newEvent("exited"), Body: dap.ExitedEventBody{ExitCode: exitCode(st, err)}})
		ss.send(&dap.TerminatedEvent{Event: *ss.newEvent("terminated")})
		return
	}
	ss.handles.reset()
	ss.exceptionErr = nil
	stopped := &dap.StoppedEvent{Event: *ss.newEvent("stopped")}
	stopped.Body.AllThreadsStopped = true
	byJob := false
	if err == nil {
		reason := st.StopReason
		if reason == proc.StopManual.String() {
			if err := c.CancelNext(); err == nil {
				st.NextInProgress = false
			}
		}
		stopped.Body.ThreadId = ss.stoppedThread(st)
		switch reason {
		case proc.StopNextFinished.String():
			stopped.Body.Reason = "step"
		case proc.StopManual.String():
			stopped.Body.Reason = "pause"
		case proc.StopUnknown.String(), "":
			stopped.Body.Reason = "unknown"
		case proc.StopWatchpoint.String():
			stopped.Body.Reason = "data breakpoint"
		case proc.StopSharedLibLoaded.String():
			stopped.Body.Reason = "breakpoint"
			stopped.Body.Description = proc.StopSharedLibLoaded.String()
		default:
			stopped.Body.Reason = "breakpoint"
			goid, bp := ss.stoppedOnBreakpoint(st)
			stopped.Body.ThreadId = goid
			if bp != nil {
				switch bp.Name {
				case proc.FatalThrow:
					stopped.Body.Reason = "exception"
					stopped.Body.Description = "fatal error"
					stopped.Body.Text, _ = ss.exprString("s", goid, 0)
				case proc.UnrecoveredPanic:
					stopped.Body.Reason = "exception"
					stopped.Body.Description = "panic"
					stopped.Body.Text, _ = ss.exprString("(*msgs).arg.(data)", goid, 0)
				}
				if strings.HasPrefix(bp.Name, functionBpPrefix) {
					stopped.Body.Reason = "function breakpoint"
				}
				if strings.HasPrefix(bp.Name, instructionBpPrefix) {
					stopped.Body.Reason = "instruction breakpoint"
				}
				if bp.Name != proc.HardcodedBreakpoint {
					stopped.Body.HitBreakpointIds = []int{bp.ID}
				} else {
					stopped.Body.HitBreakpointIds = []int{}
				}
			}
		}
		if stopped.Body.Reason != "exception" && ss.haltRequested.Load() {
			stopped.Body.Reason = "pause"
			stopped.Body.HitBreakpointIds = []int{}
		}
		if stopped.Body.Reason == "pause" {
			byJob = ss.describeJobStop(d, stopped)
		}
	} else {
		ss.exceptionErr = err
		stopped.Body.Reason = "exception"
		stopped.Body.Description = "runtime error"
		stopped.Body.Text = err.Error()
		switch stopped.Body.Text {
		case "bad access":
			stopped.Body.Text = betterBadAccessError
		case "next while nexting":
			stopped.Body.Description = "invalid command"
			stopped.Body.Text = betterNextWhileNextingError
			ss.logToConsole(fmt.Sprintf("%s: %s", stopped.Body.Description, stopped.Body.Text))
		}
		if st, err := c.GetStateNonBlocking(); err == nil {
			stopped.Body.ThreadId = ss.stoppedThread(st)
		}
	}
	ss.markStopped(byJob)
	ss.send(stopped)
	if st != nil && st.NextInProgress {
		ss.logToConsole("Step interrupted by a breakpoint. Use 'Continue' to resume the original step command.")
	}
}

// exprString evaluates expr in the goroutine of DAP thread id thread and
// returns its value as dlv's DAP server shows panic and throw reasons (a
// Go-quoted string for strings).
func (ss *session) exprString(expr string, thread int, frame int) (string, error) {
	v, err := ss.eval(int64(thread), frame, expr, ss.apiLoadConfig())
	if err != nil {
		return "", err
	}
	if v.Unreadable != "" {
		return "", errors.New(v.Unreadable)
	}
	return constValueString(v), nil
}
