package debugger

// The job control of every process of the session: each process is
// watched as one process always was (its own notices, named by its pid),
// and the processes of one process group make a job (listenmode.Job),
// announced once when the whole job stops or continues.

import (
	"errors"
	"fmt"
	"sync"

	"github.com/go-delve/delve/pkg/proc"

	"github.com/dlv-listen/dlv-listen/backend"
	"github.com/dlv-listen/dlv-listen/listenmode"
)

// processSet is what the session knows of its processes' job control.
type processSet struct {
	mu   sync.Mutex
	live int                     // processes still watched
	jobs map[int]*listenmode.Job // by process group
	pgid map[int]int             // pid -> process group, of every process watched
	all  []*backend.Process      // every process watched, in join order
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
	if d.procs.live == 0 {
		d.jobs.end()
		return
	}
	backend.OnNewProcess(d.grp, func(p *backend.Process) { d.watchProcess(p, false) })
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
	go func() {
		for ev := range sub.C {
			d.onJobControl(pid, ev)
		}
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
	d.recordJobEvent(pid, ev.Kind, signalName(ev.Signal), text)
	d.noticef("%s", text)

	s := &d.procs
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
	if changed {
		d.announceJob(jev)
	}
}

// announceJob says a change of a whole job, when the job is more than
// one process (a job of one is its process, announced already).
func (d *Debugger) announceJob(ev listenmode.JobEvent) {
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
		return fmt.Sprintf("job %d continued: all %d processes", ev.Pgid, len(ev.Members))
	}
	return ""
}

// processEnded records that process pid is gone (its subscription ended
// once the backend let it go): a target event when it exited, and when it
// was the last, the session's end.
func (d *Debugger) processEnded(p *backend.Process, pid int) {
	_, err := p.Valid()
	var exited proc.ErrProcessExited
	if errors.As(err, &exited) {
		d.emitTarget(TargetEvent{Kind: ProcessExited, Pid: pid, ExitStatus: exited.Status})
	}
	s := &d.procs
	s.mu.Lock()
	if job := s.jobs[s.pgid[pid]]; job != nil {
		job.Leave(pid)
	}
	s.live--
	last := s.live == 0
	s.mu.Unlock()
	if !last {
		return
	}
	// Every process is gone: the session is over. Why is the first
	// process's reason (it has one now), else this one's.
	if _, first := d.proc.Valid(); first != nil {
		err = first
	}
	if err != nil {
		d.setGone(err)
	}
	d.jobs.end()
}
