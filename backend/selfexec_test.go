package backend_test

import (
	"errors"
	"regexp"
	"syscall"
	"testing"
	"time"

	"github.com/go-delve/delve/pkg/proc"

	"github.com/dlv-listen/dlv-listen/internal/testprog"
)

// With follow-exec on, a debuggee that execs a program itself (the reexec
// program execs its own executable from a thread that is not its leader)
// goes on being debugged, as under native: the new program is a new target
// with the same pid, announced as a spawned process, in which the
// breakpoint set before the exec stops; the old program's target has
// exited. The detach lets the process go untraced, running.
func TestFollowExecSelfExec(t *testing.T) {
	job := testprog.Start(t, "reexec", "-period", "5ms")
	s := feAttach(t, job, true, "")
	suspendedBreak(t, s.grp, 1, "main.round")
	tgt, fn := s.toStop(t)
	if fn != "main.round" || tgt.Pid() != job.Pid || evalInt(t, tgt, "*main.gen") != 1 {
		t.Fatalf("first stop: %s of process %d", fn, tgt.Pid())
	}
	if err := syscall.Kill(job.Pid, syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	// The exec comes at once: a few rounds more of the old program at most.
	deadline := time.Now().Add(feTimeout)
	for {
		tgt, fn = s.toStop(t)
		if fn != "main.round" || tgt.Pid() != job.Pid {
			t.Fatalf("stop in %s of process %d, want main.round of %d", fn, tgt.Pid(), job.Pid)
		}
		if evalInt(t, tgt, "*main.gen") == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no stop in the exec'd program within %v; output:\n%s", feTimeout, job.Output())
		}
	}
	if n := evalInt(t, tgt, "n"); n != 1 {
		t.Errorf("first stop of the new program in round %d, want 1", n)
	}
	if ts := validTargets(s.grp); len(ts) != 1 || ts[0] != job.Pid {
		t.Errorf("targets after the exec: %v, want the new program's alone (%d)", ts, job.Pid)
	}
	var spawned []int
	for _, e := range s.spawned() {
		spawned = append(spawned, e.PID)
	}
	if len(spawned) != 1 || spawned[0] != job.Pid {
		t.Errorf("spawned processes announced: %v, want %d once", spawned, job.Pid)
	}
	// It goes on stopping there, round after round.
	tgt, fn = s.toStop(t)
	if fn != "main.round" || evalInt(t, tgt, "n") != 2 || evalInt(t, tgt, "*main.gen") != 2 {
		t.Fatalf("next stop: %s of process %d", fn, tgt.Pid())
	}
	if err := s.grp.Detach(false); err != nil {
		t.Fatalf("detach: %v", err)
	}
	pollFor(t, "the process untraced", func() bool {
		_, tracer, err := testprog.ProcStat(job.Pid)
		return err == nil && tracer == 0
	})
	waitRounds(t, job, job.Counter()+3)
	if got := regexp.MustCompile(`(?m)^gen \d+ pid \d+$`).FindAllString(job.Output(), -1); len(got) != 2 {
		t.Errorf("programs started: %q, want two", got)
	}
}

// With follow-exec off, the program a debuggee execs itself is let go, as
// native lets it go: the continue ends as if the process had exited with
// status 0 (native says so too), and the process runs the new program
// untraced.
func TestSelfExecFollowOff(t *testing.T) {
	job := testprog.Start(t, "reexec", "-period", "5ms")
	s := feAttach(t, job, false, "")
	suspendedBreak(t, s.grp, 1, "main.round")
	if tgt, fn := s.toStop(t); fn != "main.round" || tgt.Pid() != job.Pid {
		t.Fatalf("first stop: %s of process %d", fn, tgt.Pid())
	}
	if err := syscall.Kill(job.Pid, syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(feTimeout)
	for {
		err := s.continueAsync().wait(feTimeout)
		var exited proc.ErrProcessExited
		if errors.As(err, &exited) {
			if exited.Pid != job.Pid || exited.Status != 0 {
				t.Fatalf("continue: %v, want process %d exited with status 0", err, job.Pid)
			}
			break
		}
		if err != nil {
			t.Fatalf("continue: %v", err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("the exec did not end the session within %v", feTimeout)
		}
	}
	pollFor(t, "the process untraced", func() bool {
		_, tracer, err := testprog.ProcStat(job.Pid)
		return err == nil && tracer == 0
	})
	pollFor(t, "the new program started", func() bool {
		return regexp.MustCompile(`(?m)^gen 2 pid \d+$`).MatchString(job.Output())
	})
	waitRounds(t, job, job.Counter()+3)
}
