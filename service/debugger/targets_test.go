package debugger_test

// Sessions of several processes, against real processes: spawner (a Go
// parent running Go children with os/exec) and pipeline (both ends of a
// shell pipeline, a job).

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-delve/delve/service/api"
	"github.com/go-delve/delve/service/rpc2"

	"github.com/dlv-listen/dlv-listen/internal/procguard"
	"github.com/dlv-listen/dlv-listen/internal/testprog"
	"github.com/dlv-listen/dlv-listen/service/debugger"
	"github.com/dlv-listen/dlv-listen/service/jobapi"
)

// attachWith attaches to pid through debugger.Attach (session.go) with
// cfg, as a front end does.
func attachWith(t *testing.T, job *testprog.Job, pid int, cfg debugger.Config) *session {
	t.Helper()
	cfg.CheckGoVersion = true
	d, err := debugger.Attach(pid, cfg)
	if err != nil {
		t.Fatalf("attach %d: %v", pid, err)
	}
	s := &session{t: t, job: job, d: d, c: d.Client(), notes: &notices{wake: make(chan struct{}, 1)}}
	d.SetNoticeFunc(s.notes.add)
	t.Cleanup(s.cleanup)
	return s
}

// has waits until every line of want has been noticed, in any order
// (processes of a job change at once; their notices may come in any
// order).
func (n *notices) has(t *testing.T, want ...string) {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		all := n.all()
		missing := slices.DeleteFunc(slices.Clone(want), func(w string) bool { return slices.Contains(all, w) })
		if len(missing) == 0 {
			return
		}
		select {
		case <-n.wake:
		case <-deadline.C:
			t.Fatalf("no notices %q within %v; notices: %q", missing, timeout, all)
		}
	}
}

// targetEvents records a session's target events.
type targetEvents struct {
	mu   sync.Mutex
	evs  []debugger.TargetEvent
	wake chan struct{}
}

func recordTargetEvents(t *testing.T, d *debugger.Debugger) *targetEvents {
	te := &targetEvents{wake: make(chan struct{}, 1)}
	t.Cleanup(d.OnTargetEvent(func(ev debugger.TargetEvent) {
		te.mu.Lock()
		te.evs = append(te.evs, ev)
		te.mu.Unlock()
		select {
		case te.wake <- struct{}{}:
		default:
		}
	}))
	return te
}

// wait waits for an event that match accepts.
func (te *targetEvents) wait(t *testing.T, what string, match func(debugger.TargetEvent) bool) debugger.TargetEvent {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		te.mu.Lock()
		evs := slices.Clone(te.evs)
		te.mu.Unlock()
		for _, ev := range evs {
			if match(ev) {
				return ev
			}
		}
		select {
		case <-te.wake:
		case <-deadline.C:
			t.Fatalf("no target event %s within %v; events %+v", what, timeout, evs)
		}
	}
}

// TestFollowExecBadRegex: an invalid regex is one error naming it, at
// attach (before the process is touched) and later; follow-exec stays off.
func TestFollowExecBadRegex(t *testing.T) {
	job := testprog.Start(t, "counter")
	_, err := debugger.Attach(job.Pid, debugger.Config{FollowExec: true, FollowExecRegex: "child("})
	if err == nil || !strings.HasPrefix(err.Error(), `invalid follow-exec regex "child(": `) || strings.Contains(err.Error(), "\n") {
		t.Fatalf("attach with a bad regex: %v; want one line naming the regex", err)
	}
	if _, tracer, err := testprog.ProcStat(job.Pid); err != nil || tracer != 0 {
		t.Fatalf("after a refused attach: tracer %d, %v; want untraced", tracer, err)
	}
	job.WaitAdvance(t, timeout)

	s := attachWith(t, job, job.Pid, debugger.Config{})
	if err := s.d.FollowExec(true, "a[b"); err == nil || !strings.Contains(err.Error(), `invalid follow-exec regex "a[b"`) {
		t.Errorf("FollowExec with a bad regex: %v", err)
	}
	if s.d.FollowExecEnabled() {
		t.Errorf("follow-exec on after a refused regex")
	}
	if err := s.c.FollowExec(false, ""); err != nil {
		t.Errorf("FollowExec(false): %v", err)
	}
}

// TestJobStateOneProcess: the job of a one-process session is that
// process, and jobs says what it always said.
func TestJobStateOneProcess(t *testing.T) {
	job := testprog.Start(t, "counter")
	s := attachWith(t, job, job.Pid, debugger.Config{})
	js := s.d.JobStatus()
	want := fmt.Sprintf("process %d is running (no job-control stop)", job.Pid)
	if js.Text != want || js.State != jobapi.StateRunning {
		t.Errorf("JobStatus %+v, want %q", js, want)
	}
	if js.Job == nil || js.Job.Pgid != pgidOf(t, job.Pid) || js.Job.State != jobapi.StateRunning ||
		len(js.Job.Processes) != 1 || js.Job.Processes[0].Pid != job.Pid || js.Job.Processes[0].Text != want {
		t.Fatalf("JobStatus.Job %+v, want the job %d of process %d, running", js.Job, pgidOf(t, job.Pid), job.Pid)
	}
	ch := s.cont()
	job.WaitAdvance(t, timeout)
	job.Signal(t, syscall.SIGSTOP)
	s.notes.wait(t, fmt.Sprintf("process %d stopped by SIGSTOP (job control); it stays stopped until SIGCONT", job.Pid))
	js = s.d.KnownJobStatus()
	if js.Job.State != jobapi.StateStopped || js.Job.Processes[0].Signal != "SIGSTOP" {
		t.Errorf("stopped: Job %+v", js.Job)
	}
	job.Signal(t, syscall.SIGCONT)
	s.notes.wait(t, fmt.Sprintf("process %d continued (SIGCONT)", job.Pid))
	for _, n := range s.notes.all() {
		if strings.HasPrefix(n, "job ") {
			t.Errorf("notice %q: a job of one process is announced as its process only", n)
		}
	}
	if _, err := s.c.Halt(); err != nil {
		t.Fatal(err)
	}
	for range ch {
	}
}

func pgidOf(t *testing.T, pid int) int {
	t.Helper()
	pgid, err := syscall.Getpgid(pid)
	if err != nil {
		t.Fatalf("getpgid %d: %v", pid, err)
	}
	return pgid
}

// startJob runs `sh -c "pipeline produce | pipeline consume"` in a new
// process group (a job; the shell is a member that is not Go) and returns
// the shell's pid (the group) and the two ends' counter files.
func startJob(t *testing.T) (pgid int, produced, consumed string) {
	t.Helper()
	bin := testprog.Build(t, "pipeline")
	dir := t.TempDir()
	produced, consumed = filepath.Join(dir, "produced"), filepath.Join(dir, "consumed")
	script := fmt.Sprintf("%s produce -out %s -period 5ms | %s consume -out %s", bin, produced, bin, consumed)
	cmd := exec.Command("/bin/bash", "-c", script)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := procguard.Start(cmd); err != nil {
		t.Fatalf("start pipeline: %v", err)
	}
	pgid = cmd.Process.Pid
	unwatch, _ := procguard.Watch(procguard.Group, pgid)
	t.Cleanup(func() {
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		_ = cmd.Wait()
		unwatch()
		// The ends die after bash (kill(2) only queues SIGKILL): gone, or
		// zombies, before TempDir's cleanup removes their counter files.
		deadline := time.Now().Add(testprog.Timeout(testprog.StartTimeout))
		for time.Now().Before(deadline) && groupAlive(pgid) {
			time.Sleep(time.Millisecond)
		}
	})
	deadline := time.Now().Add(testprog.Timeout(testprog.StartTimeout))
	for testprog.ReadCounter(produced) < 1 || testprog.ReadCounter(consumed) < 1 {
		if time.Now().After(deadline) {
			t.Fatalf("pipeline did not start")
		}
		time.Sleep(5 * time.Millisecond)
	}
	return pgid, produced, consumed
}

// groupAlive reports whether a process of group pgid still runs (is not
// gone or a zombie).
func groupAlive(pgid int) bool {
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		var pid int
		if _, err := fmt.Sscan(e.Name(), &pid); err != nil {
			continue
		}
		if g, err := syscall.Getpgid(pid); err != nil || g != pgid {
			continue
		}
		if st, _, err := testprog.ProcStat(pid); err == nil && st != 'Z' {
			return true
		}
	}
	return false
}

// waitCounters waits until both counter files move on.
func waitCounters(t *testing.T, files ...string) {
	t.Helper()
	from := make([]int64, len(files))
	for i, f := range files {
		from[i] = testprog.ReadCounter(f)
	}
	deadline := time.Now().Add(timeout)
	for i := 0; i < len(files); {
		if testprog.ReadCounter(files[i]) > from[i] {
			i++
			continue
		}
		if time.Now().After(deadline) {
			t.Fatalf("counter %s stuck at %d", files[i], from[i])
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// membersOf lists the pids of process group pgid other than leader.
func membersOf(t *testing.T, pgid int) []int {
	t.Helper()
	ents, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range ents {
		var pid int
		if _, err := fmt.Sscan(e.Name(), &pid); err != nil || pid == pgid {
			continue
		}
		if g, err := syscall.Getpgid(pid); err == nil && g == pgid {
			pids = append(pids, pid)
		}
	}
	slices.Sort(pids)
	return pids
}

// TestHaltBeforeResumeStarts: a Halt that comes after a server read a
// continue request but before the continue runs (a server runs requests
// concurrently) is kept for it: the continue stops.
func TestHaltBeforeResumeStarts(t *testing.T) {
	job := testprog.Start(t, "counter")
	s := attachWith(t, job, job.Pid, debugger.Config{})
	release := s.d.PrepareResume() // the server read the continue
	halted := make(chan error, 1)
	go func() {
		_, err := s.c.Halt() // overtakes it
		halted <- err
	}()
	// The halt waits for the continue rather than answering at once.
	select {
	case err := <-halted:
		t.Fatalf("halt returned before the continue ran: %v", err)
	case <-time.After(frozen):
	}
	cont := make(chan error, 1)
	go func() {
		var out rpc2.CommandOut
		cont <- s.c.CallAPI("Command", api.DebuggerCommand{Name: api.Continue}, &out)
	}()
	for _, ch := range []chan error{halted, cont} {
		select {
		case err := <-ch:
			if err != nil {
				t.Fatalf("halt/continue: %v", err)
			}
		case <-time.After(timeout):
			t.Fatalf("the continue did not stop for the halt that came before it ran")
		}
	}
	release() // a no-op: the continue took the registration
	// A registration no command takes is undone, and a halt goes on.
	release = s.d.PrepareResume()
	go func() {
		_, err := s.c.Halt()
		halted <- err
	}()
	release()
	select {
	case err := <-halted:
		if err != nil {
			t.Errorf("halt after the registration was undone: %v", err)
		}
	case <-time.After(timeout):
		t.Fatalf("halt stuck on a registration that was undone")
	}
}
