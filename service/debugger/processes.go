package debugger

// The job control of every process of the session: each process is
// watched as one process always was (its own notices, named by its pid),
// and the processes of one process group make a job (listenmode.Job),
// announced once when the whole job stops or continues.

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/go-delve/delve/pkg/proc"

	"github.com/dlv-listen/dlv-listen/backend"
	"github.com/dlv-listen/dlv-listen/listenmode"
	"github.com/dlv-listen/dlv-listen/service/jobapi"
)

// processSet is what the session knows of its processes' job control.
type processSet struct {
	// order is held from a change of the model to the end of its
	// notices: the job's notice comes after those of its processes, and
	// the state read on hearing a notice is the state it says.
	order sync.Mutex
	mu    sync.Mutex
	live  int                     // processes still watched
	jobs  map[int]*listenmode.Job // by process group
	pgid  map[int]int             // pid -> process group, of every process watched
	all   []*backend.Process      // every process watched, in join order
}

// watchProcesses watches the job control of every process of the group
// and of each that joins it later. Nothing runs yet, so no process can
// join between the two.
func (d *Debugger) watchProcesses() {
	d.procs.jobs = make(map[int]*listenmode.Job)
	d.procs.pgid = make(map[int]int)
	for _, p := range backend.Processes(d.grp) {
		if ok, _ := p.Valid(); ok {
			d.watchProcess(p, true)
		}
	}
	d.procs.mu.Lock()
	none := len(d.procs.all) == 0
	d.procs.mu.Unlock()
	if none {
		d.jobs.end()
		return
	}
	backend.OnNewProcess(d.grp, func(p *backend.Process) {
		d.watchProcess(p, false)
		// On proc's goroutine inside the command: targetMu is held.
		d.flushMaterialized(p.Pid())
	})
}

// watchProcess subscribes to p's job-control events at once (a process
// that joins does so before it runs, so none is lost) and follows them on
// a goroutine until p is gone. initial: p is there when the session
// starts, and the state its job starts in is no transition.
func (d *Debugger) watchProcess(p *backend.Process, initial bool) {
	sub := p.Subscribe()
	pid, pgid := p.Pid(), p.Pgid()
	st, sig := p.JobState()
	s := &d.procs
	s.order.Lock()
	defer s.order.Unlock()
	s.mu.Lock()
	s.live++
	s.all = append(s.all, p)
	s.pgid[pid] = pgid
	job := s.jobs[pgid]
	var jev listenmode.JobEvent
	var changed bool
	if job == nil {
		s.jobs[pgid] = listenmode.NewJob(pgid, listenmode.Member{Pid: pid, State: st, Signal: sig})
	} else {
		jev, changed = job.Join(listenmode.Member{Pid: pid, State: st, Signal: sig})
	}
	s.mu.Unlock()
	if changed && !initial {
		d.announceJob(jev)
	}
	d.announced.watch(sub)
	go func() {
		for ev := range sub.C {
			d.onJobControl(pid, ev)
			d.announced.done(sub)
		}
		d.announced.forget(sub)
		d.processEnded(p, pid)
	}()
}

// onJobControl announces one job-control change of process pid, and the
// change of its job it makes, if any.
func (d *Debugger) onJobControl(pid int, ev listenmode.Event) {
	var text string
	switch ev.Kind {
	case listenmode.GroupStopBegan:
		text = fmt.Sprintf("process %d stopped by %s (job control); it stays stopped until SIGCONT", pid, signalName(ev.Signal))
	case listenmode.GroupStopEnded:
		text = fmt.Sprintf("process %d continued (SIGCONT)", pid)
	default:
		return
	}
	// The job's state first, so that whoever reads the state on hearing
	// the notice reads it whole; then the notices, the process's first.
	s := &d.procs
	s.order.Lock()
	defer s.order.Unlock()
	s.mu.Lock()
	var jev listenmode.JobEvent
	var changed bool
	if job := s.jobs[s.pgid[pid]]; job != nil {
		switch ev.Kind {
		case listenmode.GroupStopBegan:
			jev, changed = job.Set(pid, listenmode.StateStopped, ev.Signal)
		case listenmode.GroupStopEnded:
			jev, changed = job.Set(pid, listenmode.StateRunning, 0)
		}
	}
	s.mu.Unlock()
	d.recordJobEvent(pid, ev.Kind, signalName(ev.Signal), text)
	d.noticef("%s", text)
	if changed {
		d.announceJob(jev)
	}
}

// announceJob tells the receivers of target events of a change of a whole
// job, and says it when the job is more than one process (a job of one is
// its process, announced already).
func (d *Debugger) announceJob(ev listenmode.JobEvent) {
	switch ev.Kind {
	case listenmode.JobStopBegan:
		d.emitTarget(TargetEvent{Kind: JobStopped, Pid: ev.Pid, Pgid: ev.Pgid})
	case listenmode.JobStopEnded:
		d.emitTarget(TargetEvent{Kind: JobContinued, Pid: ev.Pid, Pgid: ev.Pgid})
	}
	if len(ev.Members) < 2 {
		return
	}
	if text := jobEventText(ev); text != "" {
		d.noticef("%s", text)
	}
}

// jobEventText is the notice of a change of a whole job, e.g. "job 4240
// stopped by SIGTSTP: all 3 processes".
func jobEventText(ev listenmode.JobEvent) string {
	switch ev.Kind {
	case listenmode.JobStopBegan:
		sigs := ""
		for i, s := range ev.Signals {
			if i > 0 {
				sigs += ", "
			}
			sigs += signalName(s)
		}
		return fmt.Sprintf("job %d stopped by %s: all %d processes", ev.Pgid, sigs, len(ev.Members))
	case listenmode.JobStopEnded:
		// As a shell sees it: the job runs again once SIGCONT reaches one
		// of its processes (bash's jobs says Running then); the others'
		// own notices follow.
		running := 0
		for _, m := range ev.Members {
			if m.State != listenmode.StateStopped {
				running++
			}
		}
		return fmt.Sprintf("job %d continued (SIGCONT): %d of %d processes running", ev.Pgid, running, len(ev.Members))
	}
	return ""
}

// processEnded records that process pid is gone (its subscription ended
// once the backend let it go): a target event when it exited, and when it
// was the last, the session's end.
func (d *Debugger) processEnded(p *backend.Process, pid int) {
	_, err := p.Valid()
	var exited proc.ErrProcessExited
	isExit := errors.As(err, &exited)
	// A program that exec'd another, which follow-exec took: the process
	// that took over its pid joins (or joined) the session on its own,
	// its job's member under the same pid, and stands for it from now on,
	// as the first process if it was. Nothing exited.
	succ := p.Successor()
	if isExit && succ == nil {
		d.emitTarget(TargetEvent{Kind: ProcessExited, Pid: pid, ExitStatus: exited.Status})
	}
	s := &d.procs
	s.order.Lock()
	s.mu.Lock()
	var jev listenmode.JobEvent
	var changed bool
	if job := s.jobs[s.pgid[pid]]; job != nil && isExit && succ == nil {
		// A process let go stays in its job, in the state it was left
		// in; one that exited leaves it (and the others may make a
		// stopped job now).
		jev, changed = job.Leave(pid)
	}
	if succ != nil {
		d.first.CompareAndSwap(p, succ)
		s.all = slices.DeleteFunc(s.all, func(q *backend.Process) bool { return q == p })
	} else if isExit && p != d.Process() {
		// Nothing more to say of an exited child (the first process
		// stays: the session's answers name it).
		s.all = slices.DeleteFunc(s.all, func(q *backend.Process) bool { return q == p })
		delete(s.pgid, pid)
	}
	s.live--
	last := s.live == 0 && succ == nil
	s.mu.Unlock()
	if changed {
		d.announceJob(jev)
	}
	s.order.Unlock()
	if !last {
		return
	}
	// Every process is gone: the session is over. Why is the first
	// process's reason (it has one now), else this one's.
	if _, first := d.Process().Valid(); first != nil {
		err = first
	}
	if err != nil {
		d.setGone(err)
	}
	d.jobs.end()
}

// watchedProcess is a process of the session and its process group.
type watchedProcess struct {
	p    *backend.Process
	pid  int
	pgid int
}

// watched lists every process the session has watched, in join order,
// and whether there have been several.
func (d *Debugger) watched() ([]watchedProcess, bool) {
	s := &d.procs
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]watchedProcess, len(s.all))
	for i, p := range s.all {
		out[i] = watchedProcess{p: p, pid: p.Pid(), pgid: s.pgid[p.Pid()]}
	}
	return out, len(out) > 1
}

// JobStateOf is the job-control state of job pgid: of the session's
// processes in that process group, as listenmode.Job makes it from theirs
// (JobExited when the session has none there).
func (d *Debugger) JobStateOf(pgid int) listenmode.JobState {
	s := &d.procs
	s.mu.Lock()
	defer s.mu.Unlock()
	if job := s.jobs[pgid]; job != nil {
		return job.State()
	}
	return listenmode.JobExited
}

// jobStatus is the state of the first process's job; first is that
// process's own state.
func (d *Debugger) jobStatus(procs []watchedProcess, first jobapi.ProcessState) *jobapi.Job {
	s := &d.procs
	s.mu.Lock()
	pgid := s.pgid[d.pid]
	state := listenmode.JobExited
	if job := s.jobs[pgid]; job != nil {
		state = job.State()
	}
	s.mu.Unlock()
	j := &jobapi.Job{Pgid: pgid, State: jobStateName(state), Processes: []jobapi.ProcessState{}}
	for _, w := range procs {
		if w.pgid != pgid {
			continue
		}
		ps := first
		if w.pid != d.pid {
			_, gone := w.p.Valid()
			ps = processStatus(w.pid, w.p, gone)
		}
		if ps.State != jobapi.StateExited {
			j.Processes = append(j.Processes, ps)
		}
	}
	return j
}

func jobStateName(st listenmode.JobState) string {
	switch st {
	case listenmode.JobRunning:
		return jobapi.StateRunning
	case listenmode.JobStopped:
		return jobapi.StateStopped
	case listenmode.JobMixed:
		return jobapi.JobMixed
	}
	return jobapi.StateExited
}

// jobStatusText is what the jobs command says of a session with several
// processes: a line for the first process and for each other one that
// has not exited, then one for the job, e.g. "job 4240 is stopped by
// SIGTSTP: all 3 processes".
func jobStatusText(job *jobapi.Job, procs []watchedProcess, first jobapi.ProcessState) string {
	lines := []string{first.Text}
	for _, w := range procs[1:] {
		_, gone := w.p.Valid()
		if ps := processStatus(w.pid, w.p, gone); ps.State != jobapi.StateExited {
			lines = append(lines, ps.Text)
		}
	}
	n := len(job.Processes)
	switch job.State {
	case jobapi.StateStopped:
		var sigs []string
		for _, ps := range job.Processes {
			if ps.Signal != "" && !slices.Contains(sigs, ps.Signal) {
				sigs = append(sigs, ps.Signal)
			}
		}
		lines = append(lines, fmt.Sprintf("job %d is stopped by %s: all %d processes", job.Pgid, strings.Join(sigs, ", "), n))
	case jobapi.StateRunning:
		lines = append(lines, fmt.Sprintf("job %d is running: %d processes", job.Pgid, n))
	case jobapi.JobMixed:
		stopped := 0
		for _, ps := range job.Processes {
			if ps.State == jobapi.StateStopped {
				stopped++
			}
		}
		lines = append(lines, fmt.Sprintf("job %d is mixed: %d of %d processes stopped", job.Pgid, stopped, n))
	default:
		lines = append(lines, fmt.Sprintf("job %d has exited", job.Pgid))
	}
	return strings.Join(lines, "\n")
}

// JobStop is how far the session's live processes are in job-control
// stops.
type JobStop struct {
	// All: every live process is in a job-control stop, so the debuggee
	// as a whole is (a continue waits for SIGCONT). listenmode.Job's rule
	// over the live processes: a process whose state is not known yet
	// counts as running.
	All bool
	// Stopped are the live processes in a job-control stop, in join
	// order; Live is how many processes are live.
	Stopped []int
	Live    int
	// Pgid is the process group of the live processes when they share
	// one, else 0.
	Pgid int
	// Signals are the distinct stop signals of the Stopped ones.
	Signals []string
	// Text says them, e.g. "process 4242 is stopped by SIGTSTP (job
	// control)", "job 4240 is stopped by SIGTSTP (job control)" when All
	// and the live processes are one job, "processes 4243, 4245 are
	// stopped by SIGSTOP (job control)"; "" when none is.
	Text string
}

// jobStop reads the job-control stop of every live process as the backend
// last saw it (no system call). probe: first have each held process that
// is stopped re-read its state (a SIGCONT sent from elsewhere while we
// held it is only seen by asking; the probe runs nothing); targetMu held
// then.
func (d *Debugger) jobStop(probe bool) JobStop {
	var js JobStop
	if d.isCore() {
		return js
	}
	procs, _ := d.watched()
	var members []listenmode.Member
	pgids := map[int]bool{}
	for _, w := range procs {
		if ok, _ := w.p.Valid(); !ok {
			continue
		}
		if probe {
			if st, _ := w.p.JobState(); st == listenmode.StateStopped {
				_ = w.p.ProbeJobState()
			}
		}
		st, sig := w.p.JobState()
		members = append(members, listenmode.Member{Pid: w.pid, State: st, Signal: sig})
		pgids[w.pgid] = true
		js.Live++
		if st != listenmode.StateStopped {
			continue
		}
		js.Stopped = append(js.Stopped, w.pid)
		if name := signalName(sig); !slices.Contains(js.Signals, name) {
			js.Signals = append(js.Signals, name)
		}
	}
	if len(pgids) == 1 {
		for pgid := range pgids {
			js.Pgid = pgid
		}
	}
	// The whole debuggee is stopped by the shell's rule for a job (the
	// session's processes may span several process groups: one job of
	// them all).
	js.All = len(members) > 0 && listenmode.NewJob(js.Pgid, members...).State() == listenmode.JobStopped
	js.Text = jobStopText(js)
	return js
}

// jobStopText is JobStop.Text.
func jobStopText(js JobStop) string {
	if len(js.Stopped) == 0 {
		return ""
	}
	by := strings.Join(js.Signals, ", ")
	switch {
	case len(js.Stopped) == 1:
		return fmt.Sprintf("process %d is stopped by %s (job control)", js.Stopped[0], by)
	case js.All && js.Pgid != 0:
		return fmt.Sprintf("job %d is stopped by %s (job control)", js.Pgid, by)
	}
	pids := make([]string, len(js.Stopped))
	for i, pid := range js.Stopped {
		pids[i] = fmt.Sprint(pid)
	}
	return fmt.Sprintf("processes %s are stopped by %s (job control)", strings.Join(pids, ", "), by)
}

// heldStopped says the live processes when every one is in a job-control
// stop (probed first), "" when one runs: a resume does not wait then.
// targetMu held.
func (d *Debugger) heldStopped() string {
	if js := d.jobStop(true); js.All {
		return js.Text
	}
	return ""
}
