package debugger

// The processes of a session beyond the first: following exec'd children
// (follow-exec), and what happens to the processes of the group, told to
// the front ends as target events.

import (
	"fmt"
	"regexp"
	"sync"
	"time"

	"github.com/go-delve/delve/pkg/proc"
	"github.com/go-delve/delve/service/api"

	"github.com/dlv-listen/dlv-listen/backend"
)

// TargetEventKind names what happened to a process of the session.
type TargetEventKind uint8

const (
	// ProcessSpawned: a debugged process exec'd a child (proc's
	// EventProcessSpawned). WillFollow says whether the child became a
	// target of the session (follow-exec on, its command line matched the
	// regex, a Go program with debug information).
	ProcessSpawned TargetEventKind = iota + 1
	// ProcessExited: a process of the session exited.
	ProcessExited
	// BreakpointMaterialized: a breakpoint that no process had a location
	// for (a suspended one) got one in a new target (proc's
	// EventBreakpointMaterialized).
	BreakpointMaterialized
	// JobStopped: the job Pgid (the session's processes in that process
	// group) became stopped as a whole, as a shell's job does (every
	// process in it is in a job-control stop); Pid's change made it.
	JobStopped
	// JobContinued: the job Pgid was stopped and a process in it runs
	// again (SIGCONT).
	JobContinued
)

func (k TargetEventKind) String() string {
	switch k {
	case ProcessSpawned:
		return "process spawned"
	case ProcessExited:
		return "process exited"
	case BreakpointMaterialized:
		return "breakpoint materialized"
	case JobStopped:
		return "job stopped"
	case JobContinued:
		return "job continued"
	}
	return fmt.Sprintf("TargetEventKind(%d)", k)
}

// TargetEvent is one change of the session's set of processes, or of the
// job-control state of one of its jobs.
type TargetEvent struct {
	Kind TargetEventKind
	// Pid is the process spawned or exited; for BreakpointMaterialized the
	// new target that has the breakpoint's location.
	Pid int
	// Cmdline is the spawned process's command line (ProcessSpawned).
	Cmdline string
	// WillFollow: the spawned process became a target (ProcessSpawned).
	WillFollow bool
	// BreakpointID is the logical breakpoint that got its location
	// (BreakpointMaterialized).
	BreakpointID int
	// ExitStatus is the exit status of an exited process (ProcessExited).
	ExitStatus int
	// Breakpoint is the breakpoint as it is once materialized, with its
	// new addresses (BreakpointMaterialized).
	Breakpoint *api.Breakpoint
	// Pgid is the job that stopped or continued (JobStopped,
	// JobContinued).
	Pgid int
}

// targetEvents fans target events out to the functions registered with
// OnTargetEvent, in order, on a goroutine of its own: proc raises its
// events inside Continue with the session lock held, and a receiver must
// be free to call the session back.
type targetEvents struct {
	mu   sync.Mutex
	fns  map[int]func(TargetEvent)
	next int
	q    []TargetEvent
	busy bool // a goroutine is delivering q
	// idle is closed when the delivering goroutine has emptied q (flush).
	idle chan struct{}
}

// OnTargetEvent registers fn to receive every target event from now on,
// in the order they happened. fn runs on a goroutine of the session, never
// with the session's lock held, so it may call the Debugger. remove
// unregisters it.
func (d *Debugger) OnTargetEvent(fn func(TargetEvent)) (remove func()) {
	te := &d.targetEvents
	te.mu.Lock()
	if te.fns == nil {
		te.fns = make(map[int]func(TargetEvent))
	}
	te.next++
	id := te.next
	te.fns[id] = fn
	te.mu.Unlock()
	return func() {
		te.mu.Lock()
		delete(te.fns, id)
		te.mu.Unlock()
	}
}

// emitTarget queues ev for the receivers.
func (d *Debugger) emitTarget(ev TargetEvent) {
	te := &d.targetEvents
	te.mu.Lock()
	defer te.mu.Unlock()
	te.q = append(te.q, ev)
	if !te.busy {
		te.busy = true
		go te.deliver()
	}
}

// targetFlushWait bounds how long a resuming command waits for its target
// events to be delivered before it returns its stop.
const targetFlushWait = 2 * time.Second

// flush waits until every queued event has been delivered, at most wait.
func (te *targetEvents) flush(wait time.Duration) {
	te.mu.Lock()
	if !te.busy {
		te.mu.Unlock()
		return
	}
	if te.idle == nil {
		te.idle = make(chan struct{})
	}
	idle := te.idle
	te.mu.Unlock()
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-idle:
	case <-t.C:
	}
}

func (te *targetEvents) deliver() {
	for {
		te.mu.Lock()
		if len(te.q) == 0 {
			te.busy = false
			if te.idle != nil {
				close(te.idle)
				te.idle = nil
			}
			te.mu.Unlock()
			return
		}
		ev := te.q[0]
		te.q = te.q[1:]
		fns := make([]func(TargetEvent), 0, len(te.fns))
		for id := 1; id <= te.next; id++ {
			if fn, ok := te.fns[id]; ok {
				fns = append(fns, fn)
			}
		}
		te.mu.Unlock()
		for _, fn := range fns {
			fn(ev)
		}
	}
}

// procEventsFn is the events function the session gives proc while a
// command runs: proc's process and breakpoint events become target events,
// and every event goes on to the client's function (eventsFn, may be nil),
// converted as Delve's server does. targetMu held.
func (d *Debugger) procEventsFn(eventsFn func(*api.Event)) func(*proc.Event) {
	return func(ev *proc.Event) {
		switch ev.Kind {
		case proc.EventProcessSpawned:
			if det := ev.ProcessSpawnedEventDetails; det != nil {
				d.emitTarget(TargetEvent{Kind: ProcessSpawned, Pid: det.PID, Cmdline: det.Cmdline, WillFollow: det.WillFollow})
			}
		case proc.EventBreakpointMaterialized:
			// proc says it while it adds the new target, which is not in
			// the group yet: the event goes out once it is (flushMaterialized).
			if det := ev.BreakpointMaterializedEventDetails; det != nil && det.Breakpoint != nil {
				d.materialized = append(d.materialized, det.Breakpoint)
			}
		}
		if eventsFn != nil {
			eventsFn(api.ConvertEvent(ev))
		}
	}
}

// flushMaterialized sends the BreakpointMaterialized events of the
// breakpoints proc materialized while it added a target: pid is that
// target's process (0 = not known, at the end of a command), now in the
// group, so the breakpoint's addresses include it. targetMu held.
func (d *Debugger) flushMaterialized(pid int) {
	for _, lbp := range d.materialized {
		abp := d.convertBreakpoint(lbp)
		at := pid
		if at == 0 && len(abp.AddrPid) > 0 {
			at = abp.AddrPid[len(abp.AddrPid)-1]
		}
		d.emitTarget(TargetEvent{Kind: BreakpointMaterialized, Pid: at, BreakpointID: lbp.LogicalID, Breakpoint: abp})
	}
	d.materialized = nil
}

// OnNewProcess registers fn to be called for each process that joins the
// session from now on (a followed child), before it runs, on the
// goroutine running the command: a front end that set something on the
// first process (Process) sets it on the new one there. fn must not call
// the Debugger. Nothing joins a session on a core file.
func (d *Debugger) OnNewProcess(fn func(*backend.Process)) {
	if !d.isCore() {
		backend.OnNewProcess(d.grp, fn)
	}
}

// FollowExec turns following exec'd children on or off, as Delve's
// debugger does: with it on, a child that execs a program whose command
// line matches regex ("" = any) becomes a new target of the session. An
// invalid regex is an error that names it, and changes nothing.
func (d *Debugger) FollowExec(on bool, regex string) error {
	if d.isCore() {
		return fmt.Errorf("follow-exec: %w", d.errNoProcess())
	}
	if err := checkFollowRegex(on, regex); err != nil {
		return err
	}
	d.targetMu.Lock()
	defer d.targetMu.Unlock()
	return backend.FollowExec(d.grp, on, regex)
}

// FollowExecEnabled reports whether follow-exec is on.
func (d *Debugger) FollowExecEnabled() bool {
	d.targetMu.Lock()
	defer d.targetMu.Unlock()
	return d.grp.FollowExecEnabled()
}

// checkFollowRegex checks a follow-exec regex before anything is touched,
// with the backend's wording.
func checkFollowRegex(on bool, regex string) error {
	if !on || regex == "" {
		return nil
	}
	if _, err := regexp.Compile(regex); err != nil {
		return fmt.Errorf("invalid follow-exec regex %q: %w", regex, err)
	}
	return nil
}

// Warnings returns what the session had to say when it started, one line
// each: e.g. the members of a job that a whole-job attach left alone.
func (d *Debugger) Warnings() []string {
	d.warnMu.Lock()
	defer d.warnMu.Unlock()
	return append([]string(nil), d.warnings...)
}

func (d *Debugger) addWarning(format string, args ...any) {
	d.warnMu.Lock()
	d.warnings = append(d.warnings, fmt.Sprintf(format, args...))
	d.warnMu.Unlock()
}
