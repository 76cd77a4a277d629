package dap

// Job control in the editor: what no other debug adapter has. The session
// layer tells us, as it happens, when the debuggee enters or leaves a
// job-control stop (the backend keeps a group-stopped process stopped with
// PTRACE_LISTEN and learns at once of the SIGCONT that ends it):
//
//   - every change becomes an output event of category "important" with
//     the session's own notice text;
//   - with jobControl "report", a group-stop while the program runs also
//     stops the debug session (a stopped event, reason "pause"), as Ctrl-Z
//     does in the terminal; when the group-stop ends while the editor shows
//     that stop, the program goes on and the editor gets "continued";
//   - a client that asked (jobControlEvents: true) also gets the custom
//     event dlvListenJobControl {pid, state, signal}; never unasked, since
//     unknown events break some clients; if it fell so far behind that
//     changes were dropped, one {state: "lost", lost: N} says so;
//   - the custom request dlvListenSignal sends a signal, e.g. SIGCONT.

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/go-dap"

	"github.com/dlv-listen/dlv-listen/service/debugger"
)

// jobState is what the editor was shown.
type jobState struct {
	mu sync.Mutex
	// stoppedShown: the last event the editor got said "stopped".
	stoppedShown bool
	// stoppedByJob: that stop was a group-stop reported as a stop
	// (jobControl "report").
	stoppedByJob bool
	// reportHalt: a halt for a group-stop in report mode is under way.
	reportHalt bool
}

func (ss *session) markStopped(byJob bool) {
	ss.job.mu.Lock()
	ss.job.stoppedShown, ss.job.stoppedByJob = true, byJob
	ss.job.mu.Unlock()
}

func (ss *session) markRunning() {
	ss.job.mu.Lock()
	// A report-mode halt of the last run is over, whatever stop it made.
	ss.job.stoppedShown, ss.job.stoppedByJob, ss.job.reportHalt = false, false, false
	ss.job.mu.Unlock()
}

const jobControlEventName = "dlvListenJobControl"

// jobControlEvent is the custom event sent to clients that asked for it.
type jobControlEvent struct {
	dap.Event
	Body jobControlBody `json:"body"`
}

type jobControlBody struct {
	Pid    int    `json:"pid"`
	State  string `json:"state"` // "stopped", "continued", or "lost" (see Lost)
	Signal string `json:"signal"`
	// Lost is, for state "lost", how many changes this client was not
	// sent: the session went on faster than the client read.
	Lost uint64 `json:"lost,omitempty"`
}

// watchJobControl forwards d's job-control notices and events for as
// long as the session lasts.
func (ss *session) watchJobControl(d *debugger.Debugger) {
	removeNotices := d.AddNoticeFunc(func(line string) { ss.output("important", line+"\n") })
	events, cancelEvents := d.SubscribeJobEvents()
	cancel := func() {
		removeNotices()
		cancelEvents()
	}
	ss.mu.Lock()
	ss.stopJobs = cancel
	ss.mu.Unlock()
	go ss.pollHeldJobStop(d)
	go func() {
		for ev := range events {
			if ss.isClosed() {
				cancel()
				continue
			}
			func() {
				defer ss.recoverPanic(0)
				ss.onJobEvent(d, ev)
			}()
		}
	}()
}

// heldPollInterval is how often a held, job-stopped debuggee is asked
// whether its group-stop ended.
const heldPollInterval = 250 * time.Millisecond

// pollHeldJobStop learns of a SIGCONT that comes while the debugger holds
// a job-stopped process (shown stopped in the editor). The kernel tells a
// tracer of a group-stop's end only while it listens (PTRACE_LISTEN); a
// held thread is told nothing, so the session probes it (LISTEN then
// INTERRUPT: the thread never runs). Only while a stop is shown and a
// process was last seen job-stopped: otherwise this costs nothing.
func (ss *session) pollHeldJobStop(d *debugger.Debugger) {
	defer ss.recoverPanic(0)
	t := time.NewTicker(heldPollInterval)
	defer t.Stop()
	for {
		select {
		case <-ss.closed:
			return
		case <-t.C:
		}
		if d.Gone() != nil {
			return
		}
		ss.job.mu.Lock()
		shown := ss.job.stoppedShown
		ss.job.mu.Unlock()
		if shown && !ss.runningCmd.Load() && len(d.LastJobStopped().Stopped) > 0 {
			d.JobStopped() // probes; the change, if any, comes as an event
		}
	}
}

func (ss *session) onJobEvent(d *debugger.Debugger, ev debugger.JobEvent) {
	ss.mu.Lock()
	wantEvents, policy := ss.args.jobControlEvents, ss.args.jobControl
	ss.mu.Unlock()
	if wantEvents {
		body := jobControlBody{Pid: ev.Pid, State: "continued", Signal: ev.Signal}
		switch {
		case ev.Lost > 0:
			// The output events said every change (notices are not
			// dropped); the custom events did not.
			body = jobControlBody{State: "lost", Lost: ev.Lost}
			ss.output("console", ev.Text+"\n")
		case ev.Stopped:
			body.State = "stopped"
		}
		ss.send(&jobControlEvent{Event: *ss.newEvent(jobControlEventName), Body: body})
	}
	if policy != jobReport {
		return
	}
	stopped := ev.Stopped
	if ev.Lost > 0 {
		// Whatever the changes lost were, act on the state they left.
		stopped = d.LastJobStopped().All
	}
	if stopped {
		// Report mode: stop the session once the program stopped as a
		// whole, as a shell's job does (every process; this one may be
		// the last). One process stopped while others run is only said
		// (its output event): the others go on, and it stays stopped.
		if !ss.runningCmd.Load() || !d.LastJobStopped().All {
			return
		}
		ss.job.mu.Lock()
		pending := ss.job.reportHalt
		ss.job.reportHalt = true
		ss.job.mu.Unlock()
		if pending {
			// Another process's stop asked already.
			return
		}
		ss.changeStateMu.Lock()
		ss.haltRequested.Store(true)
		_, err := ss.halt()
		ss.changeStateMu.Unlock()
		if err != nil {
			ss.output("important", fmt.Sprintf("could not stop the debug session for the job-control stop: %v\n", err))
		}
		return
	}
	// The group-stop ended while the editor shows it as a stop: the program
	// goes on, as a job does after SIGCONT.
	ss.job.mu.Lock()
	resume := ss.job.stoppedShown && ss.job.stoppedByJob
	ss.job.mu.Unlock()
	if !resume || !ss.runningCmd.CompareAndSwap(false, true) {
		return
	}
	ss.runningCmd.Store(false)
	ss.send(&dap.ContinuedEvent{Event: *ss.newEvent("continued"), Body: dap.ContinuedEventBody{AllThreadsContinued: true}})
	ss.startRun(cmdContinue)
}

// describeJobStop adds to a pause's stopped event which processes are in
// a job-control stop, if any; it reports whether this stop is the
// report-mode stop of a group-stop (the whole program stopped).
func (ss *session) describeJobStop(d *debugger.Debugger, stopped *dap.StoppedEvent) bool {
	ss.job.mu.Lock()
	byJob := ss.job.reportHalt
	ss.job.reportHalt = false
	ss.job.mu.Unlock()
	js := d.JobStopped()
	if len(js.Stopped) == 0 {
		return false
	}
	sigs := strings.Join(js.Signals, ", ")
	switch {
	case js.Live == 1:
		stopped.Body.Description = fmt.Sprintf("Paused (process job-stopped by %s)", sigs)
	case js.All && js.Pgid != 0:
		stopped.Body.Description = fmt.Sprintf("Paused (job %d job-stopped by %s)", js.Pgid, sigs)
	default:
		stopped.Body.Description = fmt.Sprintf("Paused (%s job-stopped by %s)", pidList(js.Stopped), sigs)
	}
	stopped.Body.Text = d.JobState() + "; stopped processes stay stopped until SIGCONT"
	if js.Live == 1 {
		stopped.Body.Text = d.JobState() + "; it stays stopped until SIGCONT"
	}
	return byJob && js.All
}

// pidList names processes: "process 4243", "processes 4243, 4245".
func pidList(pids []int) string {
	s := make([]string, len(pids))
	for i, pid := range pids {
		s[i] = strconv.Itoa(pid)
	}
	if len(s) == 1 {
		return "process " + s[0]
	}
	return "processes " + strings.Join(s, ", ")
}

const signalCommand = "dlvListenSignal"

// signalRequest is dlv-listen's custom request: send a signal (name or
// number, e.g. "SIGCONT") to the debuggee. It works while the program runs
// (a continue waiting on a job-control stop goes on after SIGCONT).
type signalRequest struct {
	dap.Request
	Arguments signalArguments `json:"arguments"`
}

type signalArguments struct {
	Signal string `json:"signal"`
}

type signalResponse struct {
	dap.Response
	Body signalResponseBody `json:"body"`
}

type signalResponseBody struct {
	Result string `json:"result"`
}

func (ss *session) onSignal(r *signalRequest) {
	d, _ := ss.debugger()
	if d == nil {
		ss.sendError(r.Request, UnableToSignal, "Unable to send signal", "no debug session: use launch or attach first")
		return
	}
	line, err := d.Signal(r.Arguments.Signal)
	if err != nil {
		ss.sendError(r.Request, UnableToSignal, "Unable to send signal", err.Error())
		return
	}
	ss.send(&signalResponse{Response: *ss.newResponse(r.Request), Body: signalResponseBody{Result: line}})
}
