package debugger

// The job-control state and changes of a session in jobapi's terms, for
// the network front ends: a state answer, a signal, and a numbered log of
// changes that any number of clients read at their own pace.

import (
	"errors"
	"fmt"
	"sync"

	"github.com/go-delve/delve/pkg/proc"

	"github.com/dlv-listen/dlv-listen/backend"
	"github.com/dlv-listen/dlv-listen/listenmode"
	"github.com/dlv-listen/dlv-listen/service/jobapi"
)

// jobLogSize bounds the job events kept for clients that read late; a
// reader that falls further behind is told how many it lost (a variable
// for the tests).
var jobLogSize = 1024

// jobLog is the numbered record of job-control changes.
type jobLog struct {
	mu     sync.Mutex
	events []jobapi.JobEvent // the last jobLogSize events
	seq    uint64            // Seq of the last event
	more   chan struct{}     // closed at the next event (or when the log ends)
	ended  bool
}

func (l *jobLog) init() { l.more = make(chan struct{}) }

func (l *jobLog) add(ev jobapi.JobEvent) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seq++
	ev.Seq = l.seq
	l.events = append(l.events, ev)
	if len(l.events) > jobLogSize {
		// The array behind it is reallocated, with the kept events only,
		// at an append that outgrows it: memory stays bounded.
		l.events = l.events[len(l.events)-jobLogSize:]
	}
	close(l.more)
	l.more = make(chan struct{})
}

// end wakes the waiters for good: there will be no more events.
func (l *jobLog) end() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.ended {
		l.ended = true
		close(l.more)
	}
}

// lastSeq is the sequence number of the last change logged.
func (l *jobLog) lastSeq() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.seq
}

// isEnded reports whether there will be no more changes.
func (l *jobLog) isEnded() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.ended
}

// JobEventsAfter returns the job-control changes with a sequence number
// above after, and a channel closed when there are more (or when the
// process is let go, after which there are none). When the log no longer
// holds some of those changes (the reader fell more than jobLogSize
// behind), the answer starts with one event of Kind jobapi.EventLost that
// says how many: a reader never misses changes without knowing it.
func (d *Debugger) JobEventsAfter(after uint64) ([]jobapi.JobEvent, <-chan struct{}) {
	l := &d.jobs
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []jobapi.JobEvent
	if len(l.events) > 0 && l.events[0].Seq > after+1 {
		out = append(out, lostEvent(after+1, l.events[0].Seq-1))
	}
	for _, ev := range l.events {
		if ev.Seq > after {
			out = append(out, ev)
		}
	}
	return out, l.more
}

// lostEvent is the marker of the changes first to last, dropped before
// a reader read them.
func lostEvent(first, last uint64) jobapi.JobEvent {
	n := last - first + 1
	return jobapi.JobEvent{Seq: last, Kind: jobapi.EventLost, Lost: n,
		Text: fmt.Sprintf("%d job-control changes lost (%d to %d): this reader fell behind the last %d the session keeps", n, first, last, jobLogSize)}
}

// recordJobEvent logs one backend job-control event with its notice text.
func (d *Debugger) recordJobEvent(pid int, kind listenmode.EventKind, sig string, text string) {
	ev := jobapi.JobEvent{Pid: pid, Text: text}
	switch kind {
	case listenmode.GroupStopBegan:
		ev.Kind, ev.Signal = jobapi.EventStopped, sig
	case listenmode.GroupStopEnded:
		ev.Kind = jobapi.EventContinued
	default:
		return
	}
	d.jobs.add(ev)
}

// JobStatus returns the debuggee's job-control state. A process held by
// the debugger is probed first (a SIGCONT sent meanwhile is seen only by
// asking).
func (d *Debugger) JobStatus() jobapi.JobState {
	d.probeJobState()
	return d.KnownJobStatus()
}

// KnownJobStatus is JobStatus as the backend last saw it, without a probe
// (it costs no system call: state answers carry it).
func (d *Debugger) KnownJobStatus() jobapi.JobState {
	if d.isCore() {
		return jobapi.JobState{Pid: d.pid, State: jobapi.StateNoProcess, Text: d.errNoProcess().Error()}
	}
	procs, several := d.watched()
	gone := d.goneErr()
	var exited proc.ErrProcessExited
	if _, err := d.Process().Valid(); errors.As(err, &exited) || (gone == nil && several) {
		// The first process's own exit status (the session's end may
		// be its last child's), or its end before its children's.
		gone = err
	}
	first := processStatus(d.pid, d.Process(), gone)
	js := jobapi.JobState{Pid: first.Pid, State: first.State, Signal: first.Signal, Text: first.Text}
	js.Job = d.jobStatus(procs, first)
	if several {
		js.Text = jobStatusText(js.Job, procs, first)
	}
	return js
}

// processStatus is the job-control state of process pid (p); gone is why
// it is no longer debugged, nil while it is.
func processStatus(pid int, p *backend.Process, gone error) jobapi.ProcessState {
	st, sig := p.JobState()
	ps := jobapi.ProcessState{Pid: pid, State: jobapi.StateUnknown}
	if st == listenmode.StateStopped {
		ps.Signal = signalName(sig)
	}
	if gone != nil {
		var exited proc.ErrProcessExited
		ps.State = jobapi.StateDetached
		if errors.As(gone, &exited) {
			ps.State, ps.Signal = jobapi.StateExited, ""
		}
	} else {
		switch st {
		case listenmode.StateStopped:
			ps.State = jobapi.StateStopped
		case listenmode.StateRunning:
			ps.State = jobapi.StateRunning
		}
	}
	ps.Text = processStateText(pid, st, sig, gone)
	return ps
}

// SendSignal sends sig (see Signal) and answers with the confirmation and
// the job state after it.
func (d *Debugger) SendSignal(sig string) (jobapi.SignalOut, error) {
	text, err := d.Signal(sig)
	if err != nil {
		return jobapi.SignalOut{}, err
	}
	return jobapi.SignalOut{Text: text, JobState: d.JobStatus()}, nil
}
