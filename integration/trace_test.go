//go:build linux

package integration

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dlv-listen/dlv-listen/internal/testprog"
)

// The trace sub-command: a package, an --exec binary, a test binary and a
// running process (--pid) traced, its flags, the job-control changes in the
// trace stream, the end on Ctrl-C and SIGTERM, and bad input.

var (
	// traceCall and traceReturn are the counter's main.tick call and
	// return lines, as dlv prints them.
	traceCall   = regexp.MustCompile(`(?m)^> goroutine\(\d+\): main\.tick\((\d+), "tick"\)$`)
	traceReturn = regexp.MustCompile(`(?m)^>> goroutine\(\d+\): main\.tick => \((\d+)\)$`)
)

// lockedBuffer is a bytes.Buffer a test reads while a process writes it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// traceRun is a trace run by a debugger with its stdout and stderr kept
// apart (no terminal).
type traceRun struct {
	cmd            *exec.Cmd
	stdout, stderr *lockedBuffer
	done           <-chan struct{}
}

// startTrace runs bin (dlv-listen or stock dlv) with args from dir, in a
// private Delve configuration.
func startTrace(t testing.TB, bin, dir string, args ...string) *traceRun {
	t.Helper()
	conf := t.TempDir()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "TERM=dumb", "XDG_CONFIG_HOME="+conf, NoTelemetryEnv)
	r := &traceRun{cmd: cmd, stdout: &lockedBuffer{}, stderr: &lockedBuffer{}}
	cmd.Stdout, cmd.Stderr = r.stdout, r.stderr
	r.done = Spawn(t, cmd)
	return r
}

// waitStderr waits until stderr matches re at least n times and returns
// the matches.
func (r *traceRun) waitStderr(t testing.TB, re *regexp.Regexp, n int, timeout time.Duration) [][]string {
	t.Helper()
	deadline := time.Now().Add(testprog.Timeout(timeout))
	for {
		if m := re.FindAllStringSubmatch(r.stderr.String(), -1); len(m) >= n {
			return m
		}
		select {
		case <-r.done:
			if m := re.FindAllStringSubmatch(r.stderr.String(), -1); len(m) >= n {
				return m
			}
			t.Fatalf("trace ended (%v) before %d matches of %s; stderr:\n%s", r.cmd.ProcessState, n, re, tail(r.stderr.String(), 30))
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %d matches of %s within %v; stderr:\n%s", n, re, timeout, tail(r.stderr.String(), 30))
		}
		time.Sleep(poll)
	}
}

// wait waits for the trace to end and returns its exit status.
func (r *traceRun) wait(t testing.TB, timeout time.Duration) int {
	t.Helper()
	select {
	case <-r.done:
		return r.cmd.ProcessState.ExitCode()
	case <-time.After(testprog.Timeout(timeout)):
		t.Fatalf("trace did not end within %v; stderr:\n%s", timeout, tail(r.stderr.String(), 30))
		return -1
	}
}

func tail(s string, n int) string {
	l := strings.Split(s, "\n")
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, "\n")
}

// checkTicks checks that the trace shows main.tick called with 1..n and
// returning (2n + len("tick-n")), in order, on stderr only.
func checkTicks(t *testing.T, r badRun, n int) {
	t.Helper()
	stderr := r.stderr
	calls := traceCall.FindAllStringSubmatch(stderr, -1)
	rets := traceReturn.FindAllStringSubmatch(stderr, -1)
	if len(calls) < n || len(rets) < n {
		t.Fatalf("want %d calls and returns of main.tick, got %d and %d; stderr:\n%s", n, len(calls), len(rets), tail(stderr, 30))
	}
	for i := 0; i < n; i++ {
		want := i + 1
		if calls[i][1] != strconv.Itoa(want) {
			t.Errorf("call %d: main.tick(%s), want main.tick(%d)", i, calls[i][1], want)
		}
		if ret := strconv.Itoa(2*want + len(fmt.Sprintf("tick-%d", want))); rets[i][1] != ret {
			t.Errorf("return %d: => (%s), want => (%s)", i, rets[i][1], ret)
		}
	}
	if out := r.stdout; strings.Contains(out, "goroutine(") {
		t.Errorf("trace lines on stdout, want them on stderr only: %q", out)
	}
}

// TestTraceExec traces the counter's main.tick in a binary given with
// --exec, with dlv's flags, until the program ends.
func TestTraceExec(t *testing.T) {
	w := watchOrphans(t)
	w.baseline()
	bin := testprog.Build(t, "counter")
	out := t.TempDir()
	run := func(t *testing.T, flags ...string) badRun {
		args := append([]string{"trace", "--exec", bin}, flags...)
		args = append(args, "--", "-out", filepath.Join(out, "c"), "-iterations", "3", "-period", "10ms", "-workers", "0")
		r := runBad(t, out, testprog.Timeout(StartTimeout), args...)
		if r.status != 0 {
			t.Fatalf("trace exited with status %d, want 0; stderr:\n%s", r.status, r.stderr)
		}
		w.check(t, "trace --exec")
		return r
	}
	t.Run("plain", func(t *testing.T) {
		r := run(t, "main.tick")
		checkTicks(t, r, 3)
		if !regexp.MustCompile(`(?m)^Process \d+ has exited with status 0$`).MatchString(r.stderr) {
			t.Errorf("no exit line on stderr:\n%s", r.stderr)
		}
	})
	t.Run("stack", func(t *testing.T) {
		r := run(t, "--stack", "2", "main.helper")
		re := regexp.MustCompile(`(?m)^> goroutine\(\d+\): main\.helper\(2\)\n\n\tStack:\n\t\t0  0x[0-9a-f]+ in main\.helper\n.*\n\t\t1  0x[0-9a-f]+ in main\.tick\n`)
		if !re.MatchString(r.stderr) {
			t.Errorf("no call line with a stack of main.helper under main.tick:\n%s", r.stderr)
		}
	})
	t.Run("follow-calls", func(t *testing.T) {
		r := run(t, "--follow-calls", "2", "main.tick")
		for _, re := range []string{
			`(?m)^> goroutine\(\d+\):frame\(1\) main\.tick\(1, "tick"\)$`,
			`(?m)^ > goroutine\(\d+\):frame\(2\) main\.helper\(2\)$`,
			`(?m)^ >> goroutine\(\d+\):frame\(2\) main\.helper => \(9\)$`,
			`(?m)^>> goroutine\(\d+\):frame\(1\) main\.tick => \(8\)$`,
		} {
			if !regexp.MustCompile(re).MatchString(r.stderr) {
				t.Errorf("no line matching %s:\n%s", re, r.stderr)
			}
		}
	})
	t.Run("follow-calls through a function value", func(t *testing.T) {
		loop := testprog.Build(t, "traceloop")
		r := runBad(t, out, testprog.Timeout(StartTimeout), "trace", "--follow-calls", "2", "--exec", loop, "main.viaValue", "--", "-n", "2", "-via")
		if r.status != 0 {
			t.Fatalf("trace exited with status %d, want 0; stderr:\n%s", r.status, r.stderr)
		}
		// main.double is called through a variable: it is traced from the
		// first call on, one level under main.viaValue.
		for _, re := range []string{
			`(?m)^> goroutine\(\d+\):frame\(1\) main\.viaValue\(0\)\n > goroutine\(\d+\):frame\(2\) main\.double\(\)\n >> goroutine\(\d+\):frame\(2\) main\.double => \(\)\n>> goroutine\(\d+\):frame\(1\) main\.viaValue => \(1\)$`,
			`(?m)^ > goroutine\(\d+\):frame\(2\) main\.double\(\)\n >> goroutine\(\d+\):frame\(2\) main\.double => \(\)\n>> goroutine\(\d+\):frame\(1\) main\.viaValue => \(3\)$`,
		} {
			if !regexp.MustCompile(re).MatchString(r.stderr) {
				t.Errorf("no lines matching %s:\n%s", re, r.stderr)
			}
		}
		w.check(t, "trace --follow-calls")
	})
	t.Run("timestamp", func(t *testing.T) {
		r := run(t, "--timestamp", "main.tick")
		re := regexp.MustCompile(`(?m)^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z > goroutine\(\d+\): main\.tick\(1, "tick"\)$`)
		if !re.MatchString(r.stderr) {
			t.Errorf("no timestamped call line:\n%s", r.stderr)
		}
	})
}

// TestTracePackage builds a package (into --output) and traces it; the
// binary named with --output is kept, as dlv-listen's debug keeps it.
func TestTracePackage(t *testing.T) {
	needGoCommand(t, "trace of a package")
	w := watchOrphans(t)
	w.baseline()
	out := t.TempDir()
	binPath := filepath.Join(out, "counter.bin")
	r := runBad(t, moduleRoot, testprog.Timeout(3*StartTimeout), "trace", "--output", binPath, "./internal/testprog/src/counter", "main.tick",
		"--", "-out", filepath.Join(out, "c"), "-iterations", "3", "-period", "10ms", "-workers", "0")
	if r.status != 0 {
		t.Fatalf("trace exited with status %d, want 0; stderr:\n%s", r.status, r.stderr)
	}
	w.check(t, "trace of a package")
	checkTicks(t, r, 3)
	if _, err := os.Stat(binPath); err != nil {
		t.Errorf("--output %s: %v", binPath, err)
	}
}

// TestTraceTest traces a function of a test binary (--test).
func TestTraceTest(t *testing.T) {
	needGoCommand(t, "trace --test")
	w := watchOrphans(t)
	w.baseline()
	out := t.TempDir()
	r := runBad(t, moduleRoot, testprog.Timeout(3*StartTimeout), "trace", "--test", "--output", filepath.Join(out, "tt.test"),
		"./integration/testdata/twotests", `twotests\.alpha$`, "--", "-test.run", "TestAlpha")
	if r.status != 0 {
		t.Fatalf("trace exited with status %d, want 0; stderr:\n%s", r.status, r.stderr)
	}
	w.check(t, "trace --test")
	// With --output, no default-named binary (nor the empty file that
	// reserves such a name) is left in the working directory.
	if left, _ := filepath.Glob(filepath.Join(moduleRoot, "debug.test*")); len(left) > 0 {
		t.Errorf("files left in %s: %v", moduleRoot, left)
		for _, f := range left {
			os.Remove(f)
		}
	}
	for _, re := range []string{
		`(?m)^> goroutine\(\d+\): \S+/twotests\.alpha\(1\)$`,
		`(?m)^>> goroutine\(\d+\): \S+/twotests\.alpha => \(2\)$`,
	} {
		if !regexp.MustCompile(re).MatchString(r.stderr) {
			t.Errorf("no line matching %s:\n%s", re, r.stderr)
		}
	}
	if !strings.Contains(r.stdout, "PASS") {
		t.Errorf("the test binary's PASS is not on stdout: %q", r.stdout)
	}
}

// TestTracePid traces a running process, stops and continues it from
// outside (the changes are in the trace stream), and ends the trace with
// Ctrl-C, with SIGTERM, and with SIGTERM while the process is stopped: each
// time the process is let go untraced, in its job state, with no
// breakpoint left (it keeps calling the traced function and does not die
// of SIGTRAP).
func TestTracePid(t *testing.T) {
	for _, tc := range []struct {
		name    string
		sig     syscall.Signal
		stopped bool // end the trace while the process is job-stopped
		status  int
	}{
		{"ctrl-c", syscall.SIGINT, false, 0},
		{"sigterm", syscall.SIGTERM, false, 128 + int(syscall.SIGTERM)},
		{"sigterm while stopped", syscall.SIGTERM, true, 128 + int(syscall.SIGTERM)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			job := testprog.Start(t, "counter", "-period", "20ms", "-workers", "1")
			pid := strconv.Itoa(job.Pid)
			r := startTrace(t, dlvListen, t.TempDir(), "trace", "-p", pid, "main.tick")
			r.waitStderr(t, traceCall, 2, StartTimeout)

			// A stop and a continue from outside are in the trace, and the
			// process does not run while stopped.
			job.Signal(t, syscall.SIGSTOP)
			r.waitStderr(t, regexp.MustCompile(`(?m)^process `+pid+` stopped by SIGSTOP \(job control\)`), 1, EventTimeout)
			job.AssertFrozen(t, 300*time.Millisecond)
			calls := len(traceCall.FindAllString(r.stderr.String(), -1))
			if !tc.stopped {
				job.Signal(t, syscall.SIGCONT)
				r.waitStderr(t, regexp.MustCompile(`(?m)^process `+pid+` continued \(SIGCONT\)$`), 1, EventTimeout)
				r.waitStderr(t, traceCall, calls+2, EventTimeout)
			}

			if err := r.cmd.Process.Signal(tc.sig); err != nil {
				t.Fatal(err)
			}
			if st := r.wait(t, CmdTimeout); st != tc.status {
				t.Errorf("trace exited with status %d after %v, want %d; stderr:\n%s", st, tc.sig, tc.status, tail(r.stderr.String(), 20))
			}
			if tc.stopped {
				WaitUntraced(t, job.Pid, "stopped", EventTimeout)
				job.AssertFrozen(t, 300*time.Millisecond)
				if !strings.Contains(r.stderr.String(), "process "+pid+" left stopped by SIGSTOP (job control)") {
					t.Errorf("no notice that the process was left stopped:\n%s", tail(r.stderr.String(), 10))
				}
				job.Signal(t, syscall.SIGCONT)
			}
			WaitUntraced(t, job.Pid, "running", EventTimeout)
			// main.tick runs every 20 ms: ten more ticks would meet any
			// int3 left at its entry or returns.
			start := job.Counter()
			for i := 0; i < 10; i++ {
				job.WaitAdvance(t, EventTimeout)
			}
			if job.Counter() < start+10 {
				t.Errorf("counter went from %d to %d, want 10 more ticks", start, job.Counter())
			}
			for _, ev := range job.Events() {
				if strings.HasPrefix(ev, "signaled") || strings.HasPrefix(ev, "exited") {
					t.Fatalf("the process ended after the trace let it go: %q (events %q)", ev, job.Events())
				}
			}
		})
	}
}

// TestTraceBadInput: each bad input gets one line on stderr and a
// non-zero exit, and leaves the process it names as it was.
func TestTraceBadInput(t *testing.T) {
	w := watchOrphans(t)
	counterBin := testprog.Build(t, "counter")
	for _, tc := range []struct {
		name string
		args func(t *testing.T) ([]string, func(t *testing.T))
		want string
	}{
		{name: "regexp matches nothing (--exec)", want: `^no breakpoints set: no function matches the regexp "nomatch_xyz"$`,
			args: func(t *testing.T) ([]string, func(*testing.T)) {
				return []string{"trace", "--exec", counterBin, "nomatch_xyz", "--", "-out", filepath.Join(t.TempDir(), "c")}, nil
			}},
		{name: "regexp matches nothing (--pid)", want: `^no breakpoints set: no function matches the regexp "nomatch_xyz"$`,
			args: func(t *testing.T) ([]string, func(*testing.T)) {
				job := testprog.Start(t, "counter")
				return []string{"trace", "-p", strconv.Itoa(job.Pid), "nomatch_xyz"}, func(t *testing.T) {
					WaitUntraced(t, job.Pid, "running", EventTimeout)
					job.WaitAdvance(t, EventTimeout)
				}
			}},
		{name: "regexp does not compile", want: "^dlv-listen: invalid trace regexp \"main\\.\\(\": error parsing regexp: missing closing \\): `main\\.\\(`$",
			args: func(t *testing.T) ([]string, func(*testing.T)) {
				job := testprog.Start(t, "counter")
				st, _, _ := testprog.ProcStat(job.Pid)
				return []string{"trace", "-p", strconv.Itoa(job.Pid), "main.("}, func(t *testing.T) {
					assertUntouched(t, job.Pid, st, 0)
					job.WaitAdvance(t, EventTimeout)
				}
			}},
		{name: "pid does not exist", want: `^dlv-listen: attach to process 999999: no such process$`,
			args: func(t *testing.T) ([]string, func(*testing.T)) {
				if _, err := os.Stat("/proc/999999"); err == nil {
					t.Skip("pid 999999 exists here")
				}
				return []string{"trace", "-p", "999999", "main.tick"}, nil
			}},
		{name: "ebpf", want: `^dlv-listen: --ebpf: eBPF tracing is not supported by dlv-listen`,
			args: func(t *testing.T) ([]string, func(*testing.T)) {
				return []string{"trace", "--ebpf", "--exec", counterBin, "main.tick"}, nil
			}},
		{name: "no regexp", want: `^you must supply a regexp for functions to trace$`,
			args: func(t *testing.T) ([]string, func(*testing.T)) {
				return []string{"trace", "--exec", counterBin}, nil
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args, after := tc.args(t)
			w.baseline()
			r := runBad(t, t.TempDir(), CmdTimeout+StartTimeout, args...)
			msg := strings.TrimRight(r.stderr, "\n")
			if r.status == 0 || strings.Contains(msg, "\n") || !regexp.MustCompile(tc.want).MatchString(msg) {
				t.Errorf("status %d, stderr %q; want a non-zero status and one line matching %s", r.status, r.stderr, tc.want)
			}
			w.check(t, tc.name)
			if after != nil {
				after(t)
			}
		})
	}
}

// TestTerminalTraceCommand: the terminal's own trace command (Delve's,
// which sets the return tracepoints through the rpc2 client type itself)
// traces calls and returns in dlv-listen's terminal, and the process is
// let go with no tracepoint left.
func TestTerminalTraceCommand(t *testing.T) {
	job := testprog.Start(t, "counter", "-period", "20ms", "-workers", "1")
	tm := startDlv(t, "attach", strconv.Itoa(job.Pid))
	tm.Command("trace main.tick", CmdTimeout)
	tm.SendLine("continue")
	tm.Expect(regexp.MustCompile(`(?m)^> goroutine\(\d+\): main\.tick\(\d+, "tick"\)`), CmdTimeout)
	tm.Expect(regexp.MustCompile(`(?m)^>> goroutine\(\d+\): main\.tick => \(\d+\)`), CmdTimeout)
	tm.Send(CtrlC)
	tm.WaitPrompt(CmdTimeout)
	tm.SendLine("detach")
	tm.Expect(fmt.Sprintf("detached from process %d", job.Pid), CmdTimeout)
	if st := tm.Wait(CmdTimeout); st != 0 {
		t.Fatalf("dlv-listen exited with status %d after detach", st)
	}
	WaitUntraced(t, job.Pid, "running", EventTimeout)
	for i := 0; i < 10; i++ {
		job.WaitAdvance(t, EventTimeout) // main.tick's entry and returns are clean
	}
}

// TestTraceCtrlCInTerminal: Ctrl-C typed in the terminal of a trace that
// launched its program ends the trace (status 0, as dlv's) and the
// program with it.
func TestTraceCtrlCInTerminal(t *testing.T) {
	bin := testprog.Build(t, "counter")
	cmd := exec.Command(dlvListen, "trace", "--exec", bin, "main.tick", "--", "-out", filepath.Join(t.TempDir(), "c"), "-period", "20ms", "-workers", "0")
	cmd.Env = append(os.Environ(), "TERM=dumb")
	tm := StartTerm(t, "dlv-listen trace", cmd)
	tm.Expect(regexp.MustCompile(`(?m)^> goroutine\(\d+\): main\.tick\(2, "tick"\)`), StartTimeout)
	var prog int
	for _, c := range Children(tm.Pid()) {
		prog = c
	}
	if prog == 0 {
		t.Fatalf("no program under dlv-listen (%d)", tm.Pid())
	}
	tm.Send(CtrlC)
	if st := tm.Wait(CmdTimeout); st != 0 {
		t.Errorf("trace exited with status %d after Ctrl-C, want 0; output:\n%s", st, tail(tm.Output(), 20))
	}
	WaitGone(t, prog, EventTimeout)
}
