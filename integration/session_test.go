//go:build linux

package integration

import (
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

	"github.com/dlv-listen/dlv-listen/internal/testprog"
)

// inspectAtTick runs the basic debugging session on a counter: a
// breakpoint on main.tick, continue to it, print, goroutines, stack, next.
// counter is the file the program writes, pid the program.
func inspectAtTick(t testing.TB, tm *Term, counter *Counter, pid int) {
	t.Helper()
	funcLine, firstLine := counterLines(t)
	src := `\S*internal/testprog/src/counter/main\.go:`

	out := tm.Command("break main.tick", CmdTimeout)
	if !regexp.MustCompile(`Breakpoint 1 set at 0x[0-9a-f]+ for main\.tick\(\) ` + src + strconv.Itoa(funcLine)).MatchString(out) {
		t.Fatalf("break main.tick: %q", out)
	}

	out = tm.Command("continue", CmdTimeout)
	if !regexp.MustCompile(`> \[Breakpoint 1\] main\.tick\(\) ` + src + strconv.Itoa(funcLine) + ` `).MatchString(out) {
		t.Fatalf("continue: not at the breakpoint on main.tick: %q", out)
	}
	if strings.Contains(out, "optimized function") {
		t.Errorf("continue: main.tick reported as optimized (the counter is built with -N -l): %q", out)
	}
	// Halted at the breakpoint: the program does not run.
	WaitAllThreads(t, pid, 't', 2*time.Second)
	before := counter.Value()

	out = tm.Command("print n", CmdTimeout)
	n, err := strconv.ParseInt(strings.TrimSpace(out), 10, 64)
	if err != nil {
		t.Fatalf("print n: %q is not a number", out)
	}
	// tick(n) runs before the counter file says n.
	if before != n-1 && !(n == 1 && before == -1) {
		t.Errorf("print n = %d, but the counter file says %d (want n-1)", n, before)
	}

	out = tm.Command("goroutines", CmdTimeout)
	if !regexp.MustCompile(`\* Goroutine 1 - User: ` + src + strconv.Itoa(funcLine) + ` main\.tick `).MatchString(out) {
		t.Errorf("goroutines: goroutine 1 is not the current one in main.tick: %q", out)
	}
	if m := regexp.MustCompile(`\[(\d+) goroutines\]`).FindStringSubmatch(out); m == nil {
		t.Errorf("goroutines: no goroutine count: %q", out)
	} else if g, _ := strconv.Atoi(m[1]); g < 5 {
		// main and four workers at least.
		t.Errorf("goroutines: %d goroutines, want at least 5: %q", g, out)
	}

	out = tm.Command("stack", CmdTimeout)
	if !regexp.MustCompile(`(?m)^0  0x[0-9a-f]+ in main\.tick\n\s+at `+src+strconv.Itoa(funcLine)+`$`).MatchString(out) ||
		!regexp.MustCompile(`(?m)^1  0x[0-9a-f]+ in main\.main$`).MatchString(out) {
		t.Errorf("stack: want main.tick in frame 0 and main.main in frame 1: %q", out)
	}

	out = tm.Command("next", CmdTimeout)
	if !regexp.MustCompile(`> main\.tick\(\) ` + src + strconv.Itoa(firstLine) + ` `).MatchString(out) {
		t.Fatalf("next: did not move to line %d: %q", firstLine, out)
	}
	out = tm.Command("next", CmdTimeout)
	if !regexp.MustCompile(`> main\.tick\(\) ` + src + strconv.Itoa(firstLine+1) + ` `).MatchString(out) {
		t.Fatalf("second next: did not move to line %d: %q", firstLine+1, out)
	}
	out = tm.Command("print doubled", CmdTimeout)
	if strings.TrimSpace(out) != strconv.FormatInt(2*n, 10) {
		t.Errorf("print doubled = %q, want %d", out, 2*n)
	}
	if c := counter.Value(); c != before {
		t.Errorf("the counter moved from %d to %d while the program was halted", before, c)
	}
}

// exitLeavingRunning answers 'n' to exit's question and checks that the
// attached program runs on, untraced and with no breakpoint left.
func exitLeavingRunning(t testing.TB, tm *Term, job *testprog.Job) {
	t.Helper()
	tm.SendLine("exit")
	tm.Expect("Would you like to kill the process? [Y/n]", CmdTimeout)
	tm.SendLine("n")
	if st := tm.Wait(10 * time.Second); st != 0 {
		t.Errorf("dlv-listen exited with status %d, want 0", st)
	}
	WaitUntraced(t, job.Pid, "running", 5*time.Second)
	// Several ticks: a breakpoint left behind would kill it with SIGTRAP.
	for i := 0; i < 5; i++ {
		job.WaitAdvance(t, 5*time.Second)
	}
	for _, ev := range job.Events() {
		if strings.HasPrefix(ev, "exited") || strings.HasPrefix(ev, "signaled") {
			t.Fatalf("the program ended after dlv-listen left: events %q", job.Events())
		}
	}
}

// Scenario 1: attach, inspect at a breakpoint, exit leaving it running.
func TestAttachSession(t *testing.T) {
	job := testprog.Start(t, "counter")
	tm := startDlv(t, "attach", strconv.Itoa(job.Pid))
	if _, tracer, _ := testprog.ProcStat(job.Pid); Tgid(tracer) != tm.Pid() {
		t.Fatalf("TracerPid of %d is %d (of process %d), want a thread of dlv-listen (%d)", job.Pid, tracer, Tgid(tracer), tm.Pid())
	}
	inspectAtTick(t, tm, &Counter{Path: job.CounterPath, Pid: job.Pid}, job.Pid)
	exitLeavingRunning(t, tm, job)
	if ev := job.Events(); len(ev) != 0 {
		t.Errorf("the shell saw job-control events during the session: %q", ev)
	}
}

// exitKilling leaves a launched program: exit kills it, with no question.
func exitKilling(t *testing.T, tm *Term, pid int) {
	t.Helper()
	tm.SendLine("exit")
	if st := tm.Wait(10 * time.Second); st != 0 {
		t.Errorf("dlv-listen exited with status %d, want 0", st)
	}
	if strings.Contains(tm.Rest(), "Would you like to kill") {
		t.Errorf("exit asked whether to kill a launched program: %q", tm.Rest())
	}
	WaitGone(t, pid, 5*time.Second)
}

// Scenario 2: exec a prebuilt counter.
func TestExecSession(t *testing.T) {
	bin := testprog.Build(t, "counter")
	counter := NewCounter(t)
	tm := startDlv(t, "exec", bin, "--", "-out", counter.Path)
	pid := launchedPid(t, tm)
	if c := counter.Value(); c != -1 {
		t.Errorf("the program ran before the first continue: counter %d", c)
	}
	inspectAtTick(t, tm, counter, pid)
	exitKilling(t, tm, pid)
}

// Scenario 2: debug builds the counter package (optimisations off) and
// runs it.
func TestDebugSession(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skipf("debug builds with the go command: %v", err)
	}
	leftovers := func() []string {
		m, _ := filepath.Glob(filepath.Join(moduleRoot, "__debug_bin*"))
		return m
	}
	old := map[string]bool{}
	for _, f := range leftovers() {
		old[f] = true
	}
	t.Cleanup(func() {
		// Safety net: a killed dlv-listen cannot remove its binary.
		for _, f := range leftovers() {
			if !old[f] {
				os.Remove(f)
			}
		}
	})

	counter := NewCounter(t)
	tm := startDlv(t, "debug", "./internal/testprog/src/counter", "--", "-out", counter.Path)
	pid := launchedPid(t, tm)
	exe, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
	if !strings.HasPrefix(filepath.Base(exe), "__debug_bin") {
		t.Errorf("the launched program is %s, want a __debug_bin", exe)
	}
	inspectAtTick(t, tm, counter, pid)
	exitKilling(t, tm, pid)
	for _, f := range leftovers() {
		if !old[f] {
			t.Errorf("debug left its binary behind: %s", f)
		}
	}
}

// Scenario 3: kill -TSTP while the terminal is in continue (attach).
func TestAttachTSTPDuringContinue(t *testing.T) {
	job := testprog.Start(t, "counter")
	tm := startDlv(t, "attach", strconv.Itoa(job.Pid))

	// A breakpoint set and cleared: continue then runs with none.
	if out := tm.Command("break main.helper", CmdTimeout); !strings.Contains(out, "Breakpoint 1 set") {
		t.Fatalf("break main.helper: %q", out)
	}
	if out := tm.Command("clear 1", CmdTimeout); !strings.Contains(out, "Breakpoint 1 cleared") {
		t.Fatalf("clear 1: %q", out)
	}
	tm.SendLine("continue")
	tm.Expect("continue\n", 5*time.Second)
	job.WaitAdvance(t, 5*time.Second) // continue is running

	sent := time.Now()
	job.Signal(t, syscall.SIGTSTP)
	if _, ok := tm.TryExpect(StoppedNotice(job.Pid, "SIGTSTP"), time.Second); !ok {
		t.Fatalf("no stop announcement within 1s of kill -TSTP; output after the cursor:\n%s", tm.Rest())
	}
	t.Logf("stop announced %v after kill -TSTP", time.Since(sent).Round(time.Millisecond))
	job.WaitEvent(t, "stopped SIGTSTP", 5*time.Second)
	job.AssertFrozen(t, time.Second)
	if st := job.State(); st != 't' && st != 'T' {
		t.Errorf("state %q after SIGTSTP, want stopped", st)
	}
	frozenAt := job.Counter()

	// continue is still waiting (listening); Ctrl-C halts it.
	tm.Send(CtrlC)
	tm.WaitPrompt(5 * time.Second)

	out := tm.Command("goroutines", CmdTimeout)
	if !regexp.MustCompile(`\[\d+ goroutines\]`).MatchString(out) || !strings.Contains(out, "Goroutine 1 ") {
		t.Errorf("goroutines while stopped: %q", out)
	}
	out = tm.Command("jobs", CmdTimeout)
	if want := fmt.Sprintf("process %d is stopped by SIGTSTP (job control)", job.Pid); !strings.Contains(out, want) {
		t.Errorf("jobs = %q, want %q", out, want)
	}
	out = tm.Command("break main.tick", CmdTimeout)
	if !regexp.MustCompile(`Breakpoint \d+ set at 0x[0-9a-f]+ for main\.tick\(\)`).MatchString(out) {
		t.Fatalf("break main.tick: %q", out)
	}
	if c := job.Counter(); c != frozenAt {
		t.Fatalf("the counter moved from %d to %d while the program was stopped", frozenAt, c)
	}
	if st := job.State(); st != 't' && st != 'T' {
		t.Errorf("state %q while stopped and halted, want stopped", st)
	}
	for _, ev := range job.Events() {
		if ev == "continued" {
			t.Fatalf("the shell saw the program continue before SIGCONT: events %q", job.Events())
		}
	}

	// continue on the stopped process says it waits, and waits.
	tm.SendLine("continue")
	tm.Expect("continue\n", 5*time.Second)
	tm.Expect(fmt.Sprintf("process %d is stopped by SIGTSTP (job control): waiting for SIGCONT (Ctrl-C halts)", job.Pid), CmdTimeout)
	job.AssertFrozen(t, 300*time.Millisecond)
	tm.Send(CtrlC)
	tm.WaitPrompt(5 * time.Second)
	if c := job.Counter(); c != frozenAt {
		t.Fatalf("the counter moved from %d to %d while the program was stopped", frozenAt, c)
	}

	start := tm.Mark()
	out = tm.Command("signal SIGCONT", CmdTimeout)
	if want := fmt.Sprintf("sent SIGCONT to process %d", job.Pid); !strings.Contains(out, want) {
		t.Fatalf("signal SIGCONT = %q, want %q", out, want)
	}
	if !ContinuedNotice(job.Pid).MatchString(tm.Since(start)) {
		// It may follow the prompt; wait for it before typing.
		tm.Expect(ContinuedNotice(job.Pid), 2*time.Second)
	}
	job.WaitEvent(t, "continued", 5*time.Second)
	// Still halted by the debugger until continue.
	job.AssertFrozen(t, 200*time.Millisecond)

	out = tm.Command("continue", CmdTimeout)
	if !regexp.MustCompile(`> \[Breakpoint \d+\] main\.tick\(\) `).MatchString(out) {
		t.Fatalf("continue after SIGCONT: not at the breakpoint on main.tick: %q", out)
	}
	// The hit is the first tick the program had not begun when it was
	// stopped. Each tick is tick(n) and then the write of n, so the
	// stop may have landed between the two: the file then showed n-1
	// while tick(n) had begun, and the next hit is n+1. Either way the
	// program is at tick(n) with the file at n-1 (no tick lost or
	// skipped), and it wrote at most the one tick it was in the middle of.
	out = tm.Command("print n", CmdTimeout)
	n, err := strconv.ParseInt(strings.TrimSpace(out), 10, 64)
	if c := job.Counter(); err != nil || n != c+1 || (c != frozenAt && c != frozenAt+1) {
		t.Errorf("print n = %q with the counter at %d; want the counter at %d or %d and n one more (the tick after the stop)",
			out, c, frozenAt, frozenAt+1)
	}

	// Stopped again, then exit: the process is left stopped, untraced,
	// and without the breakpoint.
	tm.Command("clearall", CmdTimeout)
	tm.SendLine("continue")
	tm.Expect("continue\n", 5*time.Second)
	job.WaitAdvance(t, 5*time.Second)
	job.Signal(t, syscall.SIGTSTP)
	tm.Expect(StoppedNotice(job.Pid, "SIGTSTP"), 2*time.Second)
	job.WaitEvent(t, "stopped SIGTSTP", 5*time.Second)
	tm.Send(CtrlC)
	tm.WaitPrompt(5 * time.Second)
	if out := tm.Command("break main.tick", CmdTimeout); !strings.Contains(out, "set at") {
		t.Fatalf("break main.tick: %q", out)
	}
	tm.SendLine("exit")
	tm.Expect("Would you like to kill the process? [Y/n]", CmdTimeout)
	tm.SendLine("n")
	tm.Expect(fmt.Sprintf("process %d left stopped by SIGTSTP (job control)", job.Pid), CmdTimeout)
	if st := tm.Wait(10 * time.Second); st != 0 {
		t.Errorf("dlv-listen exited with status %d, want 0", st)
	}
	WaitUntraced(t, job.Pid, "stopped", 5*time.Second)
	job.AssertFrozen(t, 300*time.Millisecond)
	ev := job.Events()
	if len(ev) == 0 || ev[len(ev)-1] != "stopped SIGTSTP" {
		t.Errorf("the shell saw %q after the stop: exit must not continue it", ev)
	}
	// The shell's SIGCONT resumes it; no breakpoint is left.
	job.Signal(t, syscall.SIGCONT)
	job.WaitEvent(t, "continued", 5*time.Second)
	for i := 0; i < 5; i++ {
		job.WaitAdvance(t, 5*time.Second)
	}
}

// Scenario 4: Ctrl-Z typed into the terminal while an exec'd program runs.
func TestExecCtrlZ(t *testing.T) {
	bin := testprog.Build(t, "counter")
	counter := NewCounter(t)
	tm := startDlv(t, "exec", bin, "--", "-out", counter.Path)
	pid := launchedPid(t, tm)
	dlvPgrp, _ := syscall.Getpgid(tm.Pid())
	if fg := tpgid(pid); fg != dlvPgrp {
		t.Errorf("at the prompt the terminal's foreground group is %d, want dlv-listen's %d", fg, dlvPgrp)
	}

	tm.SendLine("continue")
	tm.Expect("continue\n", 5*time.Second)
	counter.WaitAdvance(t, 5*time.Second)
	if fg := tpgid(pid); fg != pid {
		t.Errorf("while the program runs the terminal's foreground group is %d, want the program's %d", fg, pid)
	}

	tm.Send(CtrlZ)
	tm.Expect(StoppedNotice(pid, "SIGTSTP"), 2*time.Second)
	tm.WaitPrompt(5 * time.Second)
	WaitAllThreads(t, pid, 't', 2*time.Second)
	counter.AssertFrozen(t, 300*time.Millisecond)
	frozenAt := counter.Value()
	if fg := tpgid(pid); fg != dlvPgrp {
		t.Errorf("at the prompt after Ctrl-Z the terminal's foreground group is %d, want dlv-listen's %d", fg, dlvPgrp)
	}

	out := tm.Command("goroutines", CmdTimeout)
	if !regexp.MustCompile(`\[\d+ goroutines\]`).MatchString(out) {
		t.Errorf("goroutines while stopped: %q", out)
	}
	out = tm.Command("jobs", CmdTimeout)
	if want := fmt.Sprintf("process %d is stopped by SIGTSTP (job control)", pid); !strings.Contains(out, want) {
		t.Errorf("jobs = %q, want %q", out, want)
	}
	if c := counter.Value(); c != frozenAt {
		t.Fatalf("the counter moved from %d to %d while the program was stopped", frozenAt, c)
	}
	if st, _, _ := testprog.ProcStat(pid); st != 't' {
		t.Errorf("state %q while stopped, want 't'", st)
	}

	start := tm.Mark()
	out = tm.Command("signal SIGCONT", CmdTimeout)
	if want := fmt.Sprintf("sent SIGCONT to process %d", pid); !strings.Contains(out, want) {
		t.Fatalf("signal SIGCONT = %q, want %q", out, want)
	}
	if !ContinuedNotice(pid).MatchString(tm.Since(start)) {
		tm.Expect(ContinuedNotice(pid), 2*time.Second)
	}
	counter.AssertFrozen(t, 200*time.Millisecond) // halted until continue

	tm.SendLine("continue")
	tm.Expect("continue\n", 5*time.Second)
	counter.WaitAdvance(t, 5*time.Second)
	counter.WaitAdvance(t, 5*time.Second)

	// Ctrl-C halts it (the program owns the terminal: the SIGINT is
	// turned into a halt, not delivered).
	tm.Send(CtrlC)
	tm.WaitPrompt(5 * time.Second)
	WaitAllThreads(t, pid, 't', 2*time.Second)
	counter.AssertFrozen(t, 200*time.Millisecond)
	out = tm.Command("jobs", CmdTimeout)
	if want := fmt.Sprintf("process %d is running (no job-control stop)", pid); !strings.Contains(out, want) {
		t.Errorf("jobs after Ctrl-C = %q, want %q", out, want)
	}
	exitKilling(t, tm, pid)
}

// detach, a command dlv's terminal lacks: breakpoints removed, the job
// state kept (a stopped process stays stopped and is said to), dlv-listen
// ends.
func TestDetachCommand(t *testing.T) {
	job := testprog.Start(t, "counter")
	job.Signal(t, syscall.SIGTSTP)
	job.WaitEvent(t, "stopped SIGTSTP", 5*time.Second)
	tm := startDlv(t, "attach", strconv.Itoa(job.Pid))
	tm.Command("break main.tick", 10*time.Second)
	tm.SendLine("detach")
	tm.Expect(fmt.Sprintf("process %d left stopped by SIGTSTP (job control)", job.Pid), 10*time.Second)
	tm.Expect(fmt.Sprintf("detached from process %d", job.Pid), 10*time.Second)
	if st := tm.Wait(10 * time.Second); st != 0 {
		t.Fatalf("dlv-listen exited with status %d after detach", st)
	}
	WaitState(t, job.Pid, 'T', 5*time.Second)
	if _, tracer, _ := testprog.ProcStat(job.Pid); tracer != 0 {
		t.Fatalf("still traced by %d after detach", tracer)
	}
	job.AssertFrozen(t, 300*time.Millisecond)
	job.Signal(t, syscall.SIGCONT)
	job.WaitAdvance(t, 5*time.Second) // no breakpoint left to trap on
}
