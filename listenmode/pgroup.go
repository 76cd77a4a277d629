package listenmode

import (
	"fmt"
	"slices"

	"golang.org/x/sys/unix"
)

// JobState is the job-control state of a process group (a shell job) made
// of the states of its live members.
type JobState uint8

const (
	// JobRunning: no live member is stopped.
	JobRunning JobState = iota + 1
	// JobStopped: no live member runs and at least one is stopped: what a
	// shell reports as Stopped.
	JobStopped
	// JobMixed: some live members are stopped, others run.
	JobMixed
	// JobExited: no member is left.
	JobExited
)

func (s JobState) String() string {
	switch s {
	case JobRunning:
		return "running"
	case JobStopped:
		return "stopped"
	case JobMixed:
		return "mixed"
	case JobExited:
		return "exited"
	}
	return "unknown"
}

// JobEventKind names a transition of a whole job.
type JobEventKind uint8

const (
	// JobStopBegan: the job became stopped (every live member is).
	JobStopBegan JobEventKind = iota + 1
	// JobStopEnded: the job was stopped and now a member runs.
	JobStopEnded
	// JobGone: the last member left.
	JobGone
)

func (k JobEventKind) String() string {
	switch k {
	case JobStopBegan:
		return "stopped"
	case JobStopEnded:
		return "continued"
	case JobGone:
		return "exited"
	}
	return fmt.Sprintf("JobEventKind(%d)", k)
}

// Member is one process of a job. A member whose state is not learned yet
// (StateUnknown) counts as running: a shell calls a job stopped only once
// each of its processes has been seen stopped.
type Member struct {
	Pid    int
	State  State
	Signal unix.Signal // the stop signal while stopped
}

// JobEvent is one transition of a whole job, emitted once per transition
// whatever the number of members.
type JobEvent struct {
	Kind JobEventKind
	Pgid int
	// Pid is the member whose change made the transition (for JobGone,
	// the last one to leave).
	Pid int
	// Signals are, for JobStopBegan, the distinct stop signals of the
	// members in the order of their pids.
	Signals []unix.Signal
	// Members are the live members after the transition, by pid.
	Members []Member
}

func (e JobEvent) String() string {
	if e.Kind != JobStopBegan {
		return fmt.Sprintf("job %d %s", e.Pgid, e.Kind)
	}
	names := make([]string, len(e.Signals))
	for i, s := range e.Signals {
		names[i] = unix.SignalName(s)
	}
	return fmt.Sprintf("job %d stopped by %v: %d processes", e.Pgid, names, len(e.Members))
}

// Job follows the job-control state of a process group from the states of
// its members, as a shell does (bash's job table: a job is Stopped when
// none of its processes runs and at least one is stopped; Running again
// when SIGCONT reaches them). Each member's own state comes from its
// process's Tracker; Job only combines them, so it needs no freshness
// rule of its own.
type Job struct {
	pgid    int
	members map[int]Member
	state   JobState
}

// NewJob returns the job pgid with its members as they are known at attach:
// the state they make is the initial state, not a transition, so no event
// is emitted for it (a job stopped before the attach stays stopped, quietly).
func NewJob(pgid int, members ...Member) *Job {
	j := &Job{pgid: pgid, members: make(map[int]Member, len(members))}
	for _, m := range members {
		j.members[m.Pid] = m
	}
	j.state = j.compute()
	return j
}

// Pgid is the process group's id.
func (j *Job) Pgid() int { return j.pgid }

// State returns the job's state.
func (j *Job) State() JobState { return j.state }

// Members lists the live members by pid.
func (j *Job) Members() []Member {
	r := make([]Member, 0, len(j.members))
	for _, m := range j.members {
		r = append(r, m)
	}
	slices.SortFunc(r, func(a, b Member) int { return a.Pid - b.Pid })
	return r
}

// Member returns the member pid, if it is one.
func (j *Job) Member(pid int) (Member, bool) {
	m, ok := j.members[pid]
	return m, ok
}

// Join adds a process to the job (a child a member started, a process
// found at attach), or updates it if it is a member already.
func (j *Job) Join(m Member) (JobEvent, bool) {
	j.members[m.Pid] = m
	return j.settle(m.Pid)
}

// Leave removes a member that exited (or that the debugger let go of).
// Leaving a job one is not a member of changes nothing.
func (j *Job) Leave(pid int) (JobEvent, bool) {
	if _, ok := j.members[pid]; !ok {
		return JobEvent{}, false
	}
	delete(j.members, pid)
	return j.settle(pid)
}

// Set records a member's new state; sig is the stop signal when stopped.
// A pid that is not a member is ignored: members come in by Join.
func (j *Job) Set(pid int, st State, sig unix.Signal) (JobEvent, bool) {
	if _, ok := j.members[pid]; !ok {
		return JobEvent{}, false
	}
	if st != StateStopped {
		sig = 0
	}
	j.members[pid] = Member{Pid: pid, State: st, Signal: sig}
	return j.settle(pid)
}

// Observe takes a transition of one member's process, as its Tracker
// emitted it.
func (j *Job) Observe(e Event) (JobEvent, bool) {
	switch e.Kind {
	case GroupStopBegan:
		return j.Set(e.Pid, StateStopped, e.Signal)
	case GroupStopEnded:
		return j.Set(e.Pid, StateRunning, 0)
	}
	return JobEvent{}, false
}

// settle recomputes the job's state after a change of member pid and
// returns the transition it makes, if it is one: stopped (from running or
// mixed), continued (from stopped to any member running) or gone (no
// member left).
func (j *Job) settle(pid int) (JobEvent, bool) {
	prev, next := j.state, j.compute()
	j.state = next
	var kind JobEventKind
	switch {
	case next == prev:
		return JobEvent{}, false
	case next == JobExited:
		kind = JobGone
	case next == JobStopped && prev != JobExited:
		kind = JobStopBegan
	case prev == JobStopped:
		kind = JobStopEnded
	default:
		return JobEvent{}, false
	}
	e := JobEvent{Kind: kind, Pgid: j.pgid, Pid: pid, Members: j.Members()}
	if kind == JobStopBegan {
		for _, m := range e.Members {
			if !slices.Contains(e.Signals, m.Signal) {
				e.Signals = append(e.Signals, m.Signal)
			}
		}
	}
	return e, true
}

// compute applies the shell's rule to the members.
func (j *Job) compute() JobState {
	stopped, running := 0, 0
	for _, m := range j.members {
		if m.State == StateStopped {
			stopped++
		} else {
			running++
		}
	}
	switch {
	case stopped == 0 && running == 0:
		return JobExited
	case running == 0:
		return JobStopped
	case stopped == 0:
		return JobRunning
	}
	return JobMixed
}
