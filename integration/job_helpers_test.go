//go:build linux

package integration

// Helpers of the whole-job tests: a pipeline of two Go programs started as
// a job of a real bash, and dlv-listen attached to the whole job.

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// pipelineJob is `pipeline produce -out A | pipeline consume -out B`, a job
// of a bash: two Go programs in one process group, each with a counter.
type pipelineJob struct {
	*Job
	Pgid       int
	Prod, Cons int      // the producer's and the consumer's pids
	A, B       *Counter // their counters
}

// startPipelineJob starts the pipeline as a background job of sh and waits
// until both ends count.
func startPipelineJob(t testing.TB, sh *Shell) *pipelineJob {
	t.Helper()
	bin := Program(t, "pipeline")
	a, b := NewCounter(t), NewCounter(t)
	j := sh.StartJob(t, fmt.Sprintf("%s produce -out %s | %s consume -out %s", bin, a.Path, bin, b.Path))
	a.WaitAdvance(t, EventTimeout)
	b.WaitAdvance(t, EventTimeout)
	p := &pipelineJob{Job: j, Pgid: j.Pgrp(), Cons: j.Pid, A: a, B: b}
	members := groupMembers(p.Pgid)
	for _, pid := range members {
		if strings.Contains(cmdlineOf(pid), " produce ") {
			p.Prod = pid
		}
	}
	if len(members) != 2 || p.Prod == 0 || !containsPid(members, p.Cons) {
		t.Fatalf("pipeline job: process group %d has %v (producer %d, consumer %d), want the two ends", p.Pgid, members, p.Prod, p.Cons)
	}
	a.Pid, b.Pid = p.Prod, p.Cons
	return p
}

// pids are the job's processes, producer first.
func (p *pipelineJob) pids() []int { return []int{p.Prod, p.Cons} }

// stopped checks the whole job is stopped in every view: bash's jobs says
// Stopped, the kernel shows both stopped, neither counter moves.
func (p *pipelineJob) stopped(t testing.TB, what string) {
	t.Helper()
	p.Sh.WaitJobs(t, p.StoppedRe(), EventTimeout)
	for _, pid := range p.pids() {
		WaitProc(t, pid, "stopped after "+what, EventTimeout, func(pi ProcInfo) bool {
			return pi.State == 't' || pi.State == 'T'
		})
	}
	for _, c := range []*Counter{p.A, p.B} {
		if v, moved := c.Moves(300 * time.Millisecond); moved {
			t.Fatalf("after %s process %d ran on: counter moved to %d (%s)", what, c.Pid, v, Describe(c.Pid))
		}
	}
}

// running checks both ends run.
func (p *pipelineJob) running(t testing.TB) {
	t.Helper()
	for _, c := range []*Counter{p.A, p.B} {
		c.WaitAdvance(t, EventTimeout)
	}
}

// attachJob runs `dlv-listen attach --job PID` and waits for its prompt.
func attachJob(t testing.TB, pid int) *Debugger {
	t.Helper()
	return Attach(t, pid, DebuggerOptions{Args: []string{"attach", "--job", strconv.Itoa(pid)}})
}

// JobStoppedNotice matches "job PGID stopped by SIG: all N processes".
func JobStoppedNotice(pgid int, sig string, n int) *regexp.Regexp {
	return regexp.MustCompile(fmt.Sprintf(`job %d stopped by %s: all %d processes`, pgid, sig, n))
}

// JobContinuedNotice matches "job PGID continued (SIGCONT): M of N
// processes running" (M is how many SIGCONT had reached then).
func JobContinuedNotice(pgid, n int) *regexp.Regexp {
	return regexp.MustCompile(fmt.Sprintf(`job %d continued \(SIGCONT\): [0-9]+ of %d processes running`, pgid, n))
}

// expectAll waits until what the debugger printed from mark on matches
// every one of res, in any order.
func expectAll(t testing.TB, tm *Term, mark int, res ...*regexp.Regexp) {
	t.Helper()
	deadline := time.Now().Add(EventTimeout)
	for {
		out := tm.Since(mark)
		var missing []string
		for _, re := range res {
			if !re.MatchString(out) {
				missing = append(missing, re.String())
			}
		}
		if len(missing) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %q within %v in:\n%s", missing, EventTimeout, out)
		}
		time.Sleep(Poll)
	}
}

// expectJobNotice waits for each member's notice and the job's, and
// checks the job's comes after every member's: the job changed once all of
// its processes had.
func expectJobNotice(t testing.TB, tm *Term, mark int, job *regexp.Regexp, members ...*regexp.Regexp) {
	t.Helper()
	expectAll(t, tm, mark, append([]*regexp.Regexp{job}, members...)...)
	out := tm.Since(mark)
	at := job.FindStringIndex(out)[0]
	for _, re := range members {
		if re.FindStringIndex(out)[0] > at {
			t.Errorf("the job's notice /%s/ came before a member's /%s/:\n%s", job, re, out)
		}
	}
}

// cmdlineOf is pid's command line, arguments joined by spaces.
func cmdlineOf(pid int) string {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	return strings.ReplaceAll(string(b), "\x00", " ")
}

func containsPid(s []int, pid int) bool {
	for _, p := range s {
		if p == pid {
			return true
		}
	}
	return false
}
