package backend_test

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dlv-listen/dlv-listen/internal/testprog"
)

// A program embedding the backend that receives SIGTERM or SIGINT while it
// continues lets the process go: every breakpoint removed, the job-control
// state as it was (running stays running, stopped stays stopped), and then
// it dies of the signal; or, if it started with the signal ignored, exits
// with 128+signal at once.
func TestReleaseOnSignal(t *testing.T) {
	for _, tc := range []struct {
		name    string
		sig     syscall.Signal
		stopped bool
		fn      string
		ignored bool // the embedder starts with sig ignored (SIG_IGN)
	}{
		// main.main's entry is never reached again: the embedder waits in
		// Continue. main.tick is hit at once: it waits at the breakpoint.
		{"SIGTERM-running", syscall.SIGTERM, false, "main.main", false},
		{"SIGINT-running", syscall.SIGINT, false, "main.main", false},
		{"SIGTERM-at-breakpoint", syscall.SIGTERM, false, "main.tick", false},
		{"SIGTERM-stopped", syscall.SIGTERM, true, "main.tick", false},
		// Started as a background command of a shell without job control
		// (SIGINT ignored): the re-raised signal has no effect.
		{"SIGINT-ignored", syscall.SIGINT, false, "main.main", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			job := testprog.Start(t, "counter")
			if tc.stopped {
				job.Signal(t, syscall.SIGSTOP)
				job.WaitEvent(t, "stopped SIGSTOP", 5*time.Second)
			}
			emb := exec.Command(testprog.Build(t, "embedder"), "-pid", fmt.Sprint(job.Pid), "-break", tc.fn)
			out, err := emb.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			var stderr bytes.Buffer
			emb.Stderr = &stderr
			if tc.ignored {
				startIgnoring(t, emb, tc.sig)
			} else {
				startWithDefault(t, emb, tc.sig)
			}
			defer emb.Process.Kill()
			var addrs []uint64
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				var a uint64
				if _, err := fmt.Sscanf(sc.Text(), "breakpoint 0x%x", &a); err == nil {
					addrs = append(addrs, a)
				}
				if sc.Text() == "continuing" {
					break
				}
			}
			if len(addrs) == 0 {
				t.Fatalf("embedder did not get to continue: %s", stderr.String())
			}
			for _, a := range addrs {
				if b := memAt(t, job.Pid, a, len(breakInstr)); !bytes.Equal(b, breakInstr) {
					t.Fatalf("no breakpoint planted at %#x", a)
				}
			}
			if err := emb.Process.Signal(tc.sig); err != nil {
				t.Fatal(err)
			}
			sent := time.Now()
			err = emb.Wait()
			ws, _ := emb.ProcessState.Sys().(syscall.WaitStatus)
			switch {
			case tc.ignored && (!ws.Exited() || ws.ExitStatus() != 128+int(tc.sig)):
				t.Fatalf("embedder ended with %v (%v), want exit status %d; stderr: %s", err, ws, 128+int(tc.sig), stderr.String())
			case !tc.ignored && (!ws.Signaled() || ws.Signal() != tc.sig):
				t.Fatalf("embedder ended with %v (%v), want death by %v; stderr: %s", err, ws, tc.sig, stderr.String())
			}
			t.Logf("embedder ended %v after the signal", time.Since(sent).Round(time.Millisecond))
			if _, tracer, _ := testprog.ProcStat(job.Pid); tracer != 0 {
				t.Fatalf("process %d still traced by %d", job.Pid, tracer)
			}
			for _, a := range addrs {
				if got, want := memAt(t, job.Pid, a, len(breakInstr)), textAt(t, job.Bin, a, len(breakInstr)); !bytes.Equal(got, want) {
					t.Fatalf("breakpoint byte left at %#x: %x, want %x", a, got, want)
				}
			}
			if tc.stopped {
				job.WaitState(t, 'T', 5*time.Second)
				job.AssertFrozen(t, 300*time.Millisecond)
				if ev := job.Events(); strings.Contains(strings.Join(ev, ","), "continued") {
					t.Fatalf("the process was continued behind the user's back: %v", ev)
				}
				job.Signal(t, syscall.SIGCONT)
			}
			job.WaitAdvance(t, 5*time.Second)
		})
	}
}

// startIgnoring starts cmd with sig ignored, as a shell without job
// control starts a background command with SIGINT: an ignored signal stays
// ignored across exec.
func startIgnoring(t *testing.T, cmd *exec.Cmd, sig syscall.Signal) {
	t.Helper()
	signal.Ignore(sig)
	defer signal.Reset(sig)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
}

// startWithDefault starts cmd with sig at its default action even if this
// test binary runs with it ignored: a shell without job control starts
// background commands with SIGINT and SIGQUIT ignored (as the arm64 VM's
// /init runs test binaries in parallel), children inherit that, and then
// "the signal takes its default effect" is to be ignored. A signal Go
// handles is reset to the default in the child at fork
// (runtime.clearSignalHandlers); one ignored at start is not handled until
// Notify, so the test handles it while it starts cmd.
func startWithDefault(t *testing.T, cmd *exec.Cmd, sig syscall.Signal) {
	t.Helper()
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, sig)
	defer signal.Stop(ch)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
}
