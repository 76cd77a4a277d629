//go:build linux

package integration

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/dlv-listen/dlv-listen/internal/testprog"
)

// badRun is one run of dlv-listen without a terminal.
type badRun struct {
	status         int
	stdout, stderr string
	elapsed        time.Duration
}

// runBad runs dlv-listen with args (stdin /dev/null, no terminal) from dir
// and returns how it ended; it SIGKILLs it after timeout.
func runBad(t *testing.T, dir string, timeout time.Duration, args ...string) badRun {
	t.Helper()
	return runWith(t, dlvListen, dir, timeout, args...)
}

// runWith is runBad with another debugger binary (stock dlv).
func runWith(t *testing.T, bin, dir string, timeout time.Duration, args ...string) badRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "TERM=dumb")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 500 * time.Millisecond // a leftover holding our pipes must not hold us
	start := time.Now()
	err := cmd.Run()
	r := badRun{stdout: stdout.String(), stderr: stderr.String(), elapsed: time.Since(start)}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case ctx.Err() != nil:
		t.Errorf("%s %s did not exit within %v (killed); stderr %q", filepath.Base(bin), strings.Join(args, " "), timeout, r.stderr)
		r.status = -1
	case errors.As(err, &ee):
		r.status = ee.ExitCode()
	default:
		t.Fatalf("running %s %s: %v", filepath.Base(bin), strings.Join(args, " "), err)
	}
	return r
}

// orphanWatch makes the test process the subreaper of its descendants, so
// that whatever dlv-listen leaves running when it exits becomes our child.
// check reports (and kills and reaps) such leftovers.
type orphanWatch struct {
	known map[int]bool
}

func watchOrphans(t *testing.T) *orphanWatch {
	t.Helper()
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		t.Fatalf("PR_SET_CHILD_SUBREAPER: %v", err)
	}
	t.Cleanup(func() { unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0) })
	return &orphanWatch{}
}

// baseline records our current children: they are not leftovers.
func (w *orphanWatch) baseline() {
	w.known = map[int]bool{}
	for _, c := range Children(os.Getpid()) {
		w.known[c] = true
	}
}

// check fails if dlv-listen left a process behind, and kills and reaps it.
func (w *orphanWatch) check(t *testing.T, what string) {
	t.Helper()
	for _, c := range Children(os.Getpid()) {
		if w.known[c] {
			continue
		}
		cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", c))
		t.Errorf("%s left process %d behind (%s): %q", what, c, Describe(c), strings.ReplaceAll(string(cmdline), "\x00", " "))
		syscall.Kill(c, syscall.SIGKILL)
		var ws syscall.WaitStatus
		syscall.Wait4(c, &ws, 0, nil)
	}
}

// Scenario 5: bad input. Each case prints one clear message on stderr,
// exits non-zero, and leaves nothing running or traced.
func TestBadInput(t *testing.T) {
	w := watchOrphans(t)
	counterBin := testprog.Build(t, "counter")
	noTerm := "--allow-non-terminal-interactive" // reach the real error, not "stdin is not a terminal"

	type tc struct {
		name  string
		setup func(t *testing.T) (args []string, after func(t *testing.T, r badRun))
		// want matches the message; lines is how many stderr lines there
		// may be (one, unless the message quotes the compiler).
		want    string
		lines   int
		timeout time.Duration // 10s unless set
	}
	cases := []tc{
		{name: "attach unknown pid", want: `\b999999\b.*no such process`, setup: func(t *testing.T) ([]string, func(*testing.T, badRun)) {
			if _, err := os.Stat("/proc/999999"); err == nil {
				t.Skip("pid 999999 exists here")
			}
			return []string{"attach", "999999", noTerm}, nil
		}},
		{name: "attach pid 0", want: `pid 0\b.*not a valid process id`, setup: func(t *testing.T) ([]string, func(*testing.T, badRun)) {
			return []string{"attach", "0", noTerm}, nil
		}},
		{name: "attach pid not a number", want: `invalid pid "abc"`, setup: func(t *testing.T) ([]string, func(*testing.T, badRun)) {
			return []string{"attach", "abc", noTerm}, nil
		}},
		{name: "attach without pid", want: `you must provide a PID`, setup: func(t *testing.T) ([]string, func(*testing.T, badRun)) {
			return []string{"attach", noTerm}, nil
		}},
		{name: "attach missing executable", want: `/nonexistent/exe.*no such file or directory`, setup: func(t *testing.T) ([]string, func(*testing.T, badRun)) {
			job := testprog.Start(t, "counter")
			st, _, _ := testprog.ProcStat(job.Pid)
			return []string{"attach", strconv.Itoa(job.Pid), "/nonexistent/exe", noTerm}, func(t *testing.T, r badRun) {
				assertUntouched(t, job.Pid, st, 0)
				job.WaitAdvance(t, 5*time.Second)
			}
		}},
		{name: "attach already traced pid", want: `attach to process \d+: it is already traced by process \d+ \(dlv-listen`, setup: func(t *testing.T) ([]string, func(*testing.T, badRun)) {
			// We are root, so "a pid we may not trace" is one somebody
			// else traces: another dlv-listen.
			job := testprog.Start(t, "counter")
			first := startDlv(t, "attach", strconv.Itoa(job.Pid))
			st, tracer, _ := testprog.ProcStat(job.Pid)
			return []string{"attach", strconv.Itoa(job.Pid), noTerm}, func(t *testing.T, r badRun) {
				assertUntouched(t, job.Pid, st, tracer)
				// The first session is intact.
				if out := first.Command("jobs", CmdTimeout); !strings.Contains(out, fmt.Sprintf("process %d is", job.Pid)) {
					t.Errorf("the first dlv-listen's jobs: %q", out)
				}
			}
		}},
		{name: "attach stopped non-Go process", want: `has no debug information`, setup: func(t *testing.T) ([]string, func(*testing.T, badRun)) {
			// Attach gets as far as reading the binary: the failure must
			// leave the target as it was, stopped and untraced.
			sleep := exec.Command("sleep", "1000")
			if err := sleep.Start(); err != nil {
				t.Fatal(err)
			}
			pid := sleep.Process.Pid
			t.Cleanup(func() { sleep.Process.Kill(); sleep.Wait() })
			syscall.Kill(pid, syscall.SIGSTOP)
			WaitState(t, pid, 'T', 5*time.Second)
			return []string{"attach", strconv.Itoa(pid), noTerm}, func(t *testing.T, r badRun) {
				assertUntouched(t, pid, 'T', 0)
			}
		}},
		{name: "exec missing binary", want: `/nonexistent.*no such file or directory`, setup: func(t *testing.T) ([]string, func(*testing.T, badRun)) {
			return []string{"exec", "/nonexistent", noTerm}, nil
		}},
		{name: "exec non-executable file", want: `permission denied`, setup: func(t *testing.T) ([]string, func(*testing.T, badRun)) {
			f := filepath.Join(t.TempDir(), "data")
			os.WriteFile(f, []byte("not a program\n"), 0o644)
			return []string{"exec", f, noTerm}, nil
		}},
		{name: "exec directory", want: `is a directory`, setup: func(t *testing.T) ([]string, func(*testing.T, badRun)) {
			return []string{"exec", t.TempDir(), noTerm}, nil
		}},
		{name: "exec without binary", want: `you must provide a path to a binary`, setup: func(t *testing.T) ([]string, func(*testing.T, badRun)) {
			return []string{"exec", noTerm}, nil
		}},
		{name: "exec script", timeout: 3 * time.Second, want: `script|not an executable|ELF|exec format`, setup: func(t *testing.T) ([]string, func(*testing.T, badRun)) {
			// An executable that is not a program (a shell script): it
			// cannot be debugged, so it must not be run at all.
			dir := t.TempDir()
			marker := filepath.Join(dir, "ran")
			script := filepath.Join(dir, "script.sh")
			os.WriteFile(script, []byte("#!/bin/sh\necho ran > "+marker+"\nwhile :; do sleep 0.1; done\n"), 0o755)
			return []string{"exec", script, noTerm}, func(t *testing.T, r badRun) {
				if _, err := os.Stat(marker); err == nil {
					t.Errorf("exec ran the script it cannot debug (it wrote %s)", marker)
				}
			}
		}},
		{name: "exec without a terminal", want: `stdin is not a terminal`, setup: func(t *testing.T) ([]string, func(*testing.T, badRun)) {
			counter := NewCounter(t)
			return []string{"exec", counterBin, "--", "-out", counter.Path}, func(t *testing.T, r badRun) {
				if c := counter.Value(); c != -1 {
					t.Errorf("the program ran: counter %d", c)
				}
			}
		}},
		{name: "debug package that does not build", lines: 3,
			want: `(?s)main\.go:4:\d+: cannot use "not a number" \(untyped string constant\) as int value.*dlv-listen: build failed`,
			setup: func(t *testing.T) ([]string, func(*testing.T, badRun)) {
				dir := t.TempDir()
				os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module bad\n\ngo 1.26\n"), 0o644)
				os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n\nfunc main() {\n\tvar x int = \"not a number\"\n\t_ = x\n}\n"), 0o644)
				return []string{"debug", dir, noTerm}, func(t *testing.T, r badRun) {
					ents, _ := os.ReadDir(dir)
					for _, e := range ents {
						if e.Name() != "go.mod" && e.Name() != "main.go" {
							t.Errorf("debug left %s in the package directory", e.Name())
						}
					}
				}
			}},
		{name: "attach invalid follow-exec regex", want: `invalid follow-exec regex "child\(": `, setup: func(t *testing.T) ([]string, func(*testing.T, badRun)) {
			job := testprog.Start(t, "counter")
			st, _, _ := testprog.ProcStat(job.Pid)
			return []string{"attach", strconv.Itoa(job.Pid), "--follow-exec-regex", "child(", noTerm}, func(t *testing.T, r badRun) {
				assertUntouched(t, job.Pid, st, 0)
				job.WaitAdvance(t, 5*time.Second)
			}
		}},
		{name: "exec invalid follow-exec regex", want: `invalid follow-exec regex "\[x": `, setup: func(t *testing.T) ([]string, func(*testing.T, badRun)) {
			counter := NewCounter(t)
			return []string{"exec", "--follow-exec", "--follow-exec-regex", "[x", counterBin, noTerm, "--", "-out", counter.Path}, func(t *testing.T, r badRun) {
				if c := counter.Value(); c != -1 {
					t.Errorf("the program ran: counter %d", c)
				}
			}
		}},
		{name: "attach --job unknown pid", want: `\b999999\b`, setup: func(t *testing.T) ([]string, func(*testing.T, badRun)) {
			if _, err := os.Stat("/proc/999999"); err == nil {
				t.Skip("pid 999999 exists here")
			}
			return []string{"attach", "--job", "999999", noTerm}, nil
		}},
		{name: "attach --job zombie", want: `zombie`, setup: func(t *testing.T) ([]string, func(*testing.T, badRun)) {
			// A child of ours that exited and is not reaped yet.
			z := exec.Command("true")
			if err := z.Start(); err != nil {
				t.Fatal(err)
			}
			pid := z.Process.Pid
			t.Cleanup(func() { z.Wait() })
			WaitState(t, pid, 'Z', 5*time.Second)
			return []string{"attach", "--job", strconv.Itoa(pid), noTerm}, func(t *testing.T, r badRun) {
				if !regexp.MustCompile(fmt.Sprintf(`\b%d\b`, pid)).MatchString(r.stderr) {
					t.Errorf("the error does not name the zombie %d: %q", pid, r.stderr)
				}
			}
		}},
		{name: "unknown command", want: `unknown command "frob" for "dlv-listen"`, setup: func(t *testing.T) ([]string, func(*testing.T, badRun)) {
			return []string{"frob"}, nil
		}},
		{name: "unknown flag", want: `unknown flag: --frobnicate`, setup: func(t *testing.T) ([]string, func(*testing.T, badRun)) {
			return []string{"--frobnicate"}, nil
		}},
		{name: "unknown flag of attach", want: `unknown flag: --frobnicate`, setup: func(t *testing.T) ([]string, func(*testing.T, badRun)) {
			return []string{"attach", "--frobnicate", "1"}, nil
		}},
	}
	for _, c := range cases {
		t.Run(strings.ReplaceAll(c.name, " ", "_"), func(t *testing.T) {
			if strings.HasPrefix(c.name, "debug ") {
				if _, err := exec.LookPath("go"); err != nil {
					t.Skipf("debug builds with the go command: %v", err)
				}
			}
			args, after := c.setup(t)
			w.baseline()
			dir := moduleRoot
			if c.name == "debug package that does not build" {
				dir = args[1] // go build works in the package's own module
			}
			timeout := c.timeout
			if timeout == 0 {
				timeout = 10 * time.Second
			}
			r := runBad(t, dir, timeout, args...)
			w.check(t, "dlv-listen "+strings.Join(args, " "))
			t.Logf("dlv-listen %s: status %d in %v; stderr:\n%s", strings.Join(args, " "), r.status, r.elapsed.Round(time.Millisecond), r.stderr)
			if r.status == 0 {
				t.Errorf("exit status 0, want non-zero")
			}
			if r.stdout != "" {
				t.Errorf("stdout %q, want nothing", r.stdout)
			}
			if !regexp.MustCompile(c.want).MatchString(r.stderr) {
				t.Errorf("stderr %q does not match %q", r.stderr, c.want)
			}
			max := c.lines
			if max == 0 {
				max = 1
			}
			if l := lines(r.stderr); len(l) == 0 || len(l) > max {
				t.Errorf("stderr has %d lines, want 1..%d (one clear message): %q", len(l), max, r.stderr)
			}
			if after != nil {
				after(t, r)
			}
		})
	}
}

// assertUntouched checks that a failed attach left pid in the state of
// class and with tracer (0 for none). Polled briefly: a detached tracee
// passes through transient states.
func assertUntouched(t *testing.T, pid int, state byte, tracer int) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for {
		st, tr, err := testprog.ProcStat(pid)
		if err != nil {
			t.Fatalf("the target %d is gone after the failed attach", pid)
		}
		if jobClass(st) == jobClass(state) && tr == tracer {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the target %d is in state %q with TracerPid %d after the failed attach, was %q and %d", pid, st, tr, state, tracer)
		}
		time.Sleep(poll)
	}
}
