package debugger

import (
	"errors"
	"fmt"
	"slices"

	"github.com/go-delve/delve/pkg/proc"
	"github.com/go-delve/delve/service/api"

	"github.com/dlv-listen/dlv-listen/listenmode"
)

// command runs one api.DebuggerCommand, as Delve's Debugger.Command does.
// eventsFn, if not nil, receives proc's events while the command runs,
// framed by EventResumed and EventStopped. r is the run record of a
// resuming command when the caller made it already (nil otherwise).
// detail says how much the state after a resuming command tells.
func (d *Debugger) command(cmd *api.DebuggerCommand, eventsFn func(*api.Event), r *run, detail stateDetail) (*api.DebuggerState, error) {
	switch cmd.Name {
	case api.Halt:
		return d.halt()
	case api.SwitchThread, api.SwitchGoroutine:
		return d.switchTo(cmd)
	case api.Continue, api.DirectionCongruentContinue, api.Next, api.Step, api.StepOut,
		api.StepInstruction, api.NextInstruction, api.Call:
		if r == nil {
			r = d.adoptPrepared()
		}
		if r == nil {
			r = d.beginRun()
		}
		st, err := d.resume(cmd, eventsFn, r, detail)
		// A child's spawn or a breakpoint it materialized is told before
		// the stop it led to, as Delve's server does (it raises them
		// synchronously); the session lock is free now, so a receiver may
		// call back.
		d.targetEvents.flush(targetFlushWait)
		// And a job-control change is told before the stop it led to
		// (noticeorder.go).
		d.announced.flush(noticeWait)
		return st, err
	case api.Rewind, api.ReverseNext, api.ReverseStep, api.ReverseStepOut,
		api.ReverseStepInstruction, api.ReverseNextInstruction:
		return nil, d.errNotRecording()
	}
	return nil, fmt.Errorf("unknown command %q", cmd.Name)
}

// beginRun registers a resuming command before it waits for the target
// lock, so that a Halt that comes meanwhile is not lost (proc forgets a
// manual-stop request made before the continue starts).
func (d *Debugger) beginRun() *run {
	r := &run{resumed: make(chan struct{}), done: make(chan struct{})}
	d.runMu.Lock()
	d.run = r
	d.runMu.Unlock()
	return r
}

// PrepareResume registers a resuming command (continue, next, step,
// call...) that a front end has received and will run, before it runs: a
// Halt that arrives in between is kept for it. A server that runs
// requests concurrently calls it as it reads the request, in the order
// of the requests. The next resuming command adopts the registration;
// release undoes it if none did (the request failed before it ran), and
// is a no-op otherwise.
func (d *Debugger) PrepareResume() (release func()) {
	r := &run{resumed: make(chan struct{}), done: make(chan struct{})}
	d.runMu.Lock()
	d.prepared = append(d.prepared, r)
	d.runMu.Unlock()
	return func() {
		d.runMu.Lock()
		n := len(d.prepared)
		d.prepared = slices.DeleteFunc(d.prepared, func(q *run) bool { return q == r })
		dropped := len(d.prepared) != n
		d.runMu.Unlock()
		if dropped {
			close(r.done) // a halt waiting on it goes on
		}
	}
}

// adoptPrepared takes the oldest registration of PrepareResume as the
// running command's, if there is one.
func (d *Debugger) adoptPrepared() *run {
	d.runMu.Lock()
	defer d.runMu.Unlock()
	if len(d.prepared) == 0 {
		return nil
	}
	r := d.prepared[0]
	d.prepared = d.prepared[1:]
	d.run = r
	return r
}

func (d *Debugger) endRun(r *run) {
	d.runMu.Lock()
	if d.run == r {
		d.run = nil
	}
	d.runMu.Unlock()
	close(r.done)
}

// resume runs a command that lets the process execute.
func (d *Debugger) resume(cmd *api.DebuggerCommand, eventsFn func(*api.Event), r *run, detail stateDetail) (*api.DebuggerState, error) {
	defer d.endRun(r)
	d.targetMu.Lock()
	defer d.targetMu.Unlock()
	if cmd.Name != api.DirectionCongruentContinue {
		// As Delve's debugger: a core target refuses here, with
		// core.ErrContinueCore, before anything is tried.
		if err := d.grp.ChangeDirection(proc.Forward); err != nil {
			return nil, err
		}
	}
	if cmd.Name == api.Call && cmd.ReturnInfoLoadConfig == nil {
		return nil, errors.New("can not call function with nil ReturnInfoLoadConfig")
	}
	d.running.Store(true)
	defer d.running.Store(false)

	if text := d.heldStopped(); text != "" && cmd.Name != api.StepInstruction && cmd.Name != api.NextInstruction {
		// The backend listens: the command goes on after SIGCONT.
		// (Single instructions are not waited for: the backend refuses to
		// step a group-stopped thread and says so.)
		d.noticef("%s: waiting for SIGCONT (Ctrl-C halts)", text)
	}

	if eventsFn != nil {
		eventsFn(&api.Event{Kind: api.EventResumed})
		defer eventsFn(&api.Event{Kind: api.EventStopped})
	}
	// Always set: proc tells of new processes and materialized
	// breakpoints only to an events function.
	d.grp.SetEventsFn(d.procEventsFn(eventsFn))
	defer d.grp.SetEventsFn(nil)
	defer d.flushMaterialized(0) // any proc told of without a new process
	d.grp.ResumeNotify(r.resumed)
	defer d.grp.ResumeNotify(nil)
	var err error
	switch cmd.Name {
	case api.Continue, api.DirectionCongruentContinue:
		err = d.grp.Continue()
	case api.Next:
		err = d.grp.Next()
	case api.Step:
		err = d.grp.Step()
	case api.StepOut:
		err = d.grp.StepOut()
	case api.StepInstruction:
		err = d.grp.StepInstruction(false)
	case api.NextInstruction:
		err = d.grp.StepInstruction(true)
	case api.Call:
		err = d.callLocked(cmd)
	}
	if err != nil {
		var exited proc.ErrProcessExited
		if errors.As(err, &exited) {
			d.setGone(exited)
			return &api.DebuggerState{Pid: d.pid, Exited: true, ExitStatus: exited.Status, Err: exited}, nil
		}
		return nil, err
	}
	st, err := d.stateOf(api.LoadConfigToProc(cmd.ReturnInfoLoadConfig), true, detail)
	if err != nil {
		return nil, err
	}
	// A return tracepoint's return values are among the arguments it
	// loaded.
	for _, th := range st.Threads {
		if th.Breakpoint == nil || !th.Breakpoint.TraceReturn || th.BreakpointInfo == nil {
			continue
		}
		for _, v := range th.BreakpointInfo.Arguments {
			if v.Flags&api.VariableReturnArgument != 0 {
				th.ReturnValues = append(th.ReturnValues, v)
			}
		}
	}
	return st, nil
}

// callLocked injects a function call. targetMu held.
func (d *Debugger) callLocked(cmd *api.DebuggerCommand) error {
	g := d.grp.Selected.SelectedGoroutine()
	if cmd.GoroutineID > 0 {
		var err error
		if g, err = proc.FindGoroutine(d.grp.Selected, cmd.GoroutineID); err != nil {
			return err
		}
	}
	return proc.EvalExpressionWithCalls(d.grp, g, cmd.Expr, *api.LoadConfigToProc(cmd.ReturnInfoLoadConfig), !cmd.UnsafeCall)
}

// halt stops the process from any goroutine: like Delve's
// Command(api.Halt) it calls RequestManualStop without the target lock,
// then waits for the lock (the running command returns) and answers with
// the state.
func (d *Debugger) halt() (*api.DebuggerState, error) {
	d.halts.Add(1)
	d.runMu.Lock()
	r := d.run
	if r == nil && len(d.prepared) > 0 {
		// A resume received but not started yet: halt it once it runs.
		r = d.prepared[0]
	}
	d.runMu.Unlock()
	if r != nil {
		// proc clears a manual-stop request when a continue starts: make
		// the request once the threads run (or the command is over).
		select {
		case <-r.resumed:
		case <-r.done:
		}
	}
	stopErr := d.grp.RequestManualStop()

	d.targetMu.Lock()
	defer d.targetMu.Unlock()
	if _, err := d.grp.Valid(); err != nil {
		return nil, err
	}
	if stopErr != nil {
		return nil, stopErr
	}
	return d.stateLocked(nil, false)
}

func (d *Debugger) switchTo(cmd *api.DebuggerCommand) (*api.DebuggerState, error) {
	d.targetMu.Lock()
	defer d.targetMu.Unlock()
	if _, err := d.grp.Valid(); err != nil {
		return nil, err
	}
	var err error
	switch cmd.Name {
	case api.SwitchThread:
		for it := (proc.ValidTargets{Group: d.grp}); it.Next(); {
			if _, ok := it.FindThread(cmd.ThreadID); ok {
				d.grp.Selected = it.Target
				break
			}
		}
		err = d.grp.Selected.SwitchThread(cmd.ThreadID)
	case api.SwitchGoroutine:
		var g *proc.G
		if g, err = proc.FindGoroutine(d.grp.Selected, cmd.GoroutineID); err == nil {
			err = d.grp.Selected.SwitchGoroutine(g)
		}
	}
	if err != nil {
		return nil, err
	}
	return d.stateLocked(nil, false)
}

// state answers GetState: with nowait, a running process answers at once.
func (d *Debugger) state(nowait bool) (*api.DebuggerState, error) {
	if nowait && d.running.Load() {
		return &api.DebuggerState{Running: true}, nil
	}
	d.targetMu.Lock()
	defer d.targetMu.Unlock()
	return d.stateLocked(nil, false)
}

// detach lets the process go, or kills it. A launched process is always
// killed, as Delve does.
func (d *Debugger) detach(kill bool) error {
	d.waitRelease() // see Close
	d.targetMu.Lock()
	defer d.targetMu.Unlock()
	if d.cfg.AttachPid == 0 {
		kill = true
	}
	if err := d.grp.Detach(kill); err != nil {
		return err
	}
	if d.isCore() {
		d.setGone(proc.ErrProcessDetached)
		return nil
	}
	// The backend has finished with the process: Valid says how.
	if _, err := d.Process().Valid(); err != nil {
		d.setGone(err)
	}
	if kill {
		return nil
	}
	// Say each process that was let go in a job-control stop.
	procs, _ := d.watched()
	for _, w := range procs {
		if _, err := w.p.Valid(); !errors.Is(err, proc.ErrProcessDetached) {
			continue // exited before
		}
		if st, sig := w.p.JobState(); st == listenmode.StateStopped {
			d.noticef("process %d left stopped by %s (job control)", w.pid, signalName(sig))
		}
	}
	return nil
}
