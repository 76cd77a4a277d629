package listenmode

import (
	"fmt"
	"slices"
	"testing"

	"golang.org/x/sys/unix"
)

const testPgid = 4240

func runningMember(pid int) Member { return Member{Pid: pid, State: StateRunning} }
func stoppedMember(pid int, sig unix.Signal) Member {
	return Member{Pid: pid, State: StateStopped, Signal: sig}
}

// jobOp is one change fed to a Job; want is the event it must emit (Kind
// 0: none) and state the job's state afterwards.
type jobOp struct {
	op    func(j *Job) (JobEvent, bool)
	state JobState
	want  JobEventKind
	// pid and sigs the event must carry (sigs for JobStopBegan only).
	pid  int
	sigs []unix.Signal
}

func stopOp(pid int, sig unix.Signal) func(*Job) (JobEvent, bool) {
	return func(j *Job) (JobEvent, bool) {
		return j.Observe(Event{Kind: GroupStopBegan, Pid: pid, Signal: sig, Tid: pid})
	}
}
func contOp(pid int) func(*Job) (JobEvent, bool) {
	return func(j *Job) (JobEvent, bool) { return j.Observe(Event{Kind: GroupStopEnded, Pid: pid, Tid: pid}) }
}
func joinOp(m Member) func(*Job) (JobEvent, bool) {
	return func(j *Job) (JobEvent, bool) { return j.Join(m) }
}
func leaveOp(pid int) func(*Job) (JobEvent, bool) {
	return func(j *Job) (JobEvent, bool) { return j.Leave(pid) }
}

func TestJobTransitions(t *testing.T) {
	const a, b, c = 4240, 4241, 4242
	tstp, stop := unix.SIGTSTP, unix.SIGSTOP
	cases := []struct {
		name    string
		initial []Member
		start   JobState
		ops     []jobOp
	}{
		{"empty", nil, JobExited, []jobOp{
			{op: joinOp(runningMember(a)), state: JobRunning}, // no event from exited
		}},
		{"attach to a stopped job: no event", []Member{stoppedMember(a, tstp), stoppedMember(b, tstp)}, JobStopped, nil},
		{"attach to a mixed job", []Member{stoppedMember(a, tstp), runningMember(b)}, JobMixed, nil},
		{"unknown counts as running", []Member{stoppedMember(a, tstp), {Pid: b}}, JobMixed, []jobOp{
			{op: stopOp(b, tstp), state: JobStopped, want: JobStopBegan, pid: b, sigs: []unix.Signal{tstp}},
		}},
		{"Ctrl-Z then fg, three processes", []Member{runningMember(a), runningMember(b), runningMember(c)}, JobRunning, []jobOp{
			{op: stopOp(b, tstp), state: JobMixed},
			{op: stopOp(a, tstp), state: JobMixed},
			{op: stopOp(c, tstp), state: JobStopped, want: JobStopBegan, pid: c, sigs: []unix.Signal{tstp}},
			// the same member reported stopped again: no second event
			{op: stopOp(c, tstp), state: JobStopped},
			{op: contOp(a), state: JobMixed, want: JobStopEnded, pid: a},
			{op: contOp(c), state: JobMixed},
			{op: contOp(b), state: JobRunning},
			{op: contOp(b), state: JobRunning},
		}},
		{"two signals", []Member{runningMember(a), runningMember(b)}, JobRunning, []jobOp{
			{op: stopOp(b, stop), state: JobMixed},
			{op: stopOp(a, tstp), state: JobStopped, want: JobStopBegan, pid: a, sigs: []unix.Signal{tstp, stop}},
		}},
		{"another stop signal while stopped: no event", []Member{stoppedMember(a, tstp)}, JobStopped, []jobOp{
			{op: stopOp(a, stop), state: JobStopped},
		}},
		{"the running member exits: the rest is stopped", []Member{stoppedMember(a, tstp), runningMember(b)}, JobMixed, []jobOp{
			{op: leaveOp(b), state: JobStopped, want: JobStopBegan, pid: b, sigs: []unix.Signal{tstp}},
		}},
		{"a stopped member exits: still mixed", []Member{stoppedMember(a, tstp), stoppedMember(b, tstp), runningMember(c)}, JobMixed, []jobOp{
			{op: leaveOp(a), state: JobMixed},
		}},
		{"a stopped member exits from a stopped job", []Member{stoppedMember(a, tstp), stoppedMember(b, tstp)}, JobStopped, []jobOp{
			{op: leaveOp(a), state: JobStopped},
			{op: leaveOp(b), state: JobExited, want: JobGone, pid: b},
			{op: leaveOp(b), state: JobExited}, // not a member any more
		}},
		{"all exit while running", []Member{runningMember(a), runningMember(b)}, JobRunning, []jobOp{
			{op: leaveOp(a), state: JobRunning},
			{op: leaveOp(b), state: JobExited, want: JobGone, pid: b},
		}},
		{"a running child joins a running job", []Member{runningMember(a)}, JobRunning, []jobOp{
			{op: joinOp(runningMember(b)), state: JobRunning},
		}},
		{"a stopped child joins a running job", []Member{runningMember(a)}, JobRunning, []jobOp{
			{op: joinOp(stoppedMember(b, tstp)), state: JobMixed},
		}},
		{"a running process joins a stopped job: no longer stopped", []Member{stoppedMember(a, tstp)}, JobStopped, []jobOp{
			{op: joinOp(runningMember(b)), state: JobMixed, want: JobStopEnded, pid: b},
		}},
		{"a stopped process joins a mixed job whose runner is gone", []Member{stoppedMember(a, tstp), runningMember(b)}, JobMixed, []jobOp{
			{op: joinOp(stoppedMember(b, stop)), state: JobStopped, want: JobStopBegan, pid: b, sigs: []unix.Signal{tstp, stop}},
		}},
		{"events of non-members are ignored", []Member{runningMember(a)}, JobRunning, []jobOp{
			{op: stopOp(b, tstp), state: JobRunning},
			{op: func(j *Job) (JobEvent, bool) { return j.Set(c, StateStopped, tstp) }, state: JobRunning},
		}},
		{"single process, rounds", []Member{runningMember(a)}, JobRunning, []jobOp{
			{op: stopOp(a, stop), state: JobStopped, want: JobStopBegan, pid: a, sigs: []unix.Signal{stop}},
			{op: contOp(a), state: JobRunning, want: JobStopEnded, pid: a},
			{op: stopOp(a, tstp), state: JobStopped, want: JobStopBegan, pid: a, sigs: []unix.Signal{tstp}},
			{op: contOp(a), state: JobRunning, want: JobStopEnded, pid: a},
			{op: leaveOp(a), state: JobExited, want: JobGone, pid: a},
		}},
		{"Set to running clears the signal", []Member{stoppedMember(a, tstp), runningMember(b)}, JobMixed, []jobOp{
			{op: func(j *Job) (JobEvent, bool) { return j.Set(a, StateRunning, tstp) }, state: JobRunning},
			{op: func(j *Job) (JobEvent, bool) {
				if m, _ := j.Member(a); m.Signal != 0 {
					t.Errorf("member %d: signal %v kept while running", a, m.Signal)
				}
				return JobEvent{}, false
			}, state: JobRunning},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			j := NewJob(testPgid, tc.initial...)
			if j.State() != tc.start {
				t.Fatalf("initial state %v, want %v", j.State(), tc.start)
			}
			for i, o := range tc.ops {
				e, ok := o.op(j)
				if j.State() != o.state {
					t.Fatalf("op %d: state %v, want %v", i, j.State(), o.state)
				}
				if !ok {
					if o.want != 0 {
						t.Fatalf("op %d: no event, want %v", i, o.want)
					}
					continue
				}
				if o.want == 0 {
					t.Fatalf("op %d: unexpected event %v", i, e)
				}
				if e.Kind != o.want || e.Pgid != testPgid || e.Pid != o.pid || !slices.Equal(e.Signals, o.sigs) {
					t.Fatalf("op %d: event %+v, want %v pid %d signals %v", i, e, o.want, o.pid, o.sigs)
				}
				if !slices.Equal(e.Members, j.Members()) {
					t.Fatalf("op %d: event members %v, job members %v", i, e.Members, j.Members())
				}
			}
		})
	}
}

// Every order in which three members stop and continue gives exactly one
// stop and one continue event per round.
func TestJobOneEventPerRound(t *testing.T) {
	pids := []int{10, 11, 12}
	var orders [][]int
	var permute func(p []int, k int)
	permute = func(p []int, k int) {
		if k == len(p) {
			orders = append(orders, slices.Clone(p))
			return
		}
		for i := k; i < len(p); i++ {
			p[k], p[i] = p[i], p[k]
			permute(p, k+1)
			p[k], p[i] = p[i], p[k]
		}
	}
	permute(slices.Clone(pids), 0)
	for _, stopOrder := range orders {
		for _, contOrder := range orders {
			t.Run(fmt.Sprint(stopOrder, contOrder), func(t *testing.T) {
				j := NewJob(testPgid, runningMember(10), runningMember(11), runningMember(12))
				var kinds []JobEventKind
				for round := 0; round < 2; round++ {
					for _, pid := range stopOrder {
						if e, ok := stopOp(pid, unix.SIGTSTP)(j); ok {
							kinds = append(kinds, e.Kind)
							if e.Pid != stopOrder[len(stopOrder)-1] {
								t.Fatalf("stop event from %d, want the last to stop", e.Pid)
							}
						}
					}
					for _, pid := range contOrder {
						if e, ok := contOp(pid)(j); ok {
							kinds = append(kinds, e.Kind)
							if e.Pid != contOrder[0] {
								t.Fatalf("continue event from %d, want the first to run", e.Pid)
							}
						}
					}
				}
				want := []JobEventKind{JobStopBegan, JobStopEnded, JobStopBegan, JobStopEnded}
				if !slices.Equal(kinds, want) {
					t.Fatalf("events %v, want %v", kinds, want)
				}
			})
		}
	}
}

func TestJobEventString(t *testing.T) {
	j := NewJob(testPgid, runningMember(1), stoppedMember(2, unix.SIGTSTP))
	e, ok := j.Observe(Event{Kind: GroupStopBegan, Pid: 1, Signal: unix.SIGTSTP})
	if !ok {
		t.Fatal("no event")
	}
	if got, want := e.String(), "job 4240 stopped by [SIGTSTP]: 2 processes"; got != want {
		t.Fatalf("String() = %q, want %q", got, want)
	}
	for s, want := range map[JobState]string{JobRunning: "running", JobStopped: "stopped", JobMixed: "mixed", JobExited: "exited", 0: "unknown"} {
		if s.String() != want {
			t.Errorf("JobState(%d) = %q, want %q", s, s.String(), want)
		}
	}
}
