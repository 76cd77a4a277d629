//go:build linux

package integration

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Scenario is one row of the job-control matrix: a real shell (or a test
// harness) doing job control on a program while a debugger is attached.
// Run fails t unless the debugger of flavor f kept the promise the row
// states; the same Run serves dlv-listen (TestMatrix: it must pass) and
// stock dlv (integration/compare: the table of what each keeps).
type Scenario struct {
	N     int
	Name  string // short, for subtest names
	Title string // what the row checks
	Run   func(t testing.TB, f Flavor)
}

// Matrix is the job-control matrix of issue 6, in order.
var Matrix = []Scenario{
	{1, "ctrl-z-bg-fg", "Ctrl-Z in the shell while running under the debugger; bg; fg; Ctrl-Z", scenarioCtrlZ},
	{2, "kill-stop-cont", "kill -STOP / -CONT from outside, 3 rounds", scenarioKillStopCont},
	{3, "sigttin", "background job reads the terminal: SIGTTIN stops it, fg continues it", scenarioTTIN},
	{4, "sigttou", "background job writes with stty tostop: SIGTTOU stops it, fg continues it", scenarioTTOU},
	{5, "attach-stopped", "attach to a job stopped by Ctrl-Z: stays stopped; fg continues it", scenarioAttachStopped},
	{6, "detach-stopped", "detach while stopped: stays stopped, jobs says Stopped; fg works", scenarioDetachStopped},
	{7, "halt-inspect-stopped", "halt while stopped, goroutines and stack, continue: stopped until the shell continues it", scenarioHaltWhileStopped},
	{8, "breakpoint-after-sigcont", "a breakpoint hit right after SIGCONT stops the debugger; the shell's view stays right", scenarioBreakAfterCont},
	{9, "exit-while-stopped", "killed, and terminated, while stopped: the shell and the debugger report it", scenarioExitWhileStopped},
	{10, "debugger-sigkilled", "debugger SIGKILLed: stopped job stays stopped; running with breakpoints: what happens", scenarioDebuggerKilled},
	{11, "debugger-sigterm-sighup", "debugger gets SIGHUP/SIGTERM: breakpoints removed, detached, job state kept", scenarioDebuggerTermHup},
	{12, "own-tstp-handler", "a program handling SIGTSTP/SIGCONT itself (restores its terminal): same as without a debugger", scenarioOwnHandlers},
	{13, "pipeline", "a pipeline job stopped and continued while one member is debugged", scenarioPipeline},
	{14, "jepsen-pause", "a harness SIGSTOPs a debugged server for 2 s: clients see exactly that pause", scenarioJepsenPause},
}

// progJob is jobprog running as a job of a shell.
type progJob struct {
	*Job
	C   *Counter
	Log string // jobprog's log file
	Bin string
}

// startProgJob builds jobprog and starts `jobprog -out C -log L ARGS...
// SUFFIX &` in sh, and waits until it counts. suffix is appended to the
// command line (" | cat" makes a pipeline); then the job's pid ($!) is not
// jobprog's, and Prog is read from jobprog's log.
func startProgJob(t testing.TB, sh *Shell, suffix string, args ...string) *progJob {
	t.Helper()
	bin := Program(t, "jobprog")
	c := NewCounter(t)
	log := filepath.Join(filepath.Dir(c.Path), "log")
	line := fmt.Sprintf("%s -out %s -log %s %s%s", bin, c.Path, log, strings.Join(args, " "), suffix)
	j := &progJob{Job: sh.StartJob(t, line), C: c, Log: log, Bin: bin}
	c.WaitAdvance(t, EventTimeout)
	if suffix == "" {
		c.Pid = j.Pid
	} else {
		c.Pid = progPid(t, log)
	}
	return j
}

// progPid reads jobprog's pid from the first line of its log.
func progPid(t testing.TB, log string) int {
	t.Helper()
	deadline := time.Now().Add(EventTimeout)
	for {
		if l := logLines(log); len(l) > 0 {
			var pid int
			if _, err := fmt.Sscanf(l[0], "pid %d", &pid); err == nil {
				return pid
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: no pid line", log)
		}
		time.Sleep(Poll)
	}
}

// logLines returns the complete lines of a log file.
func logLines(path string) []string {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	s := string(b)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return strings.Split(s[:i], "\n")
	}
	return nil
}

// waitLog waits until the log's last line is want.
func waitLog(t testing.TB, path, want string) {
	t.Helper()
	deadline := time.Now().Add(EventTimeout)
	for {
		l := logLines(path)
		if len(l) > 0 && l[len(l)-1] == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: last line is not %q after %v: %q", path, want, EventTimeout, l)
		}
		time.Sleep(Poll)
	}
}

// stopped checks the job is stopped in every view: the kernel's (a
// stopped state, no progress) and the shell's (jobs says Stopped).
func (j *progJob) stopped(t testing.TB, what string) {
	t.Helper()
	// The shell first: it is told once the group-stop is complete (every
	// thread stopped), while the state letter of one thread may show t
	// for a signal-delivery-stop before that.
	j.Sh.WaitJobs(t, j.StoppedRe(), EventTimeout)
	WaitProc(t, j.C.Pid, "stopped after "+what, EventTimeout, func(pi ProcInfo) bool {
		return pi.State == 't' || pi.State == 'T'
	})
	if v, moved := j.C.Moves(300 * time.Millisecond); moved {
		t.Fatalf("after %s the shell stopped the job but the program kept running: counter moved to %d (state %s)", what, v, Describe(j.C.Pid))
	}
}

// running checks the job runs (progress) and the shell says Running.
func (j *progJob) running(t testing.TB, what string) {
	t.Helper()
	j.C.WaitAdvance(t, EventTimeout)
	j.Sh.WaitJobs(t, j.RunningRe(), EventTimeout)
}

// attachedJob starts jobprog ARGS as a job of a fresh bash, attaches the
// debugger and continues.
func attachedJob(t testing.TB, f Flavor, args ...string) (*progJob, *Debugger) {
	t.Helper()
	j := startProgJob(t, StartShell(t, "bash"), "", args...)
	d := Attach(t, j.Pid, DebuggerOptions{Flavor: f})
	d.Continue(t)
	return j, d
}

func scenarioCtrlZ(t testing.TB, f Flavor) {
	j, d := attachedJob(t, f)
	j.Fg(t)
	j.C.WaitAdvance(t, EventTimeout)
	for round := 1; round <= 2; round++ {
		j.CtrlZ(t)
		j.stopped(t, "Ctrl-Z")
		d.ExpectNotice(t, StoppedNotice(j.Pid, "SIGTSTP"))
		if round == 2 {
			break
		}
		j.Bg(t)
		j.running(t, "bg")
		d.ExpectNotice(t, ContinuedNotice(j.Pid))
		j.Fg(t)
		j.C.WaitAdvance(t, EventTimeout)
	}
}

func scenarioKillStopCont(t testing.TB, f Flavor) {
	j, d := attachedJob(t, f)
	for round := 1; round <= 3; round++ {
		syscall.Kill(j.Pid, syscall.SIGSTOP)
		j.stopped(t, fmt.Sprintf("kill -STOP (round %d)", round))
		d.ExpectNotice(t, StoppedNotice(j.Pid, "SIGSTOP"))
		syscall.Kill(j.Pid, syscall.SIGCONT)
		j.running(t, fmt.Sprintf("kill -CONT (round %d)", round))
		d.ExpectNotice(t, ContinuedNotice(j.Pid))
	}
}

// ttyStop runs a background job that touches the terminal on SIGUSR1
// (args: -read or -write), expects it stopped by sig, then puts it in
// the foreground and checks it runs and did what it meant to.
func ttyStop(t testing.TB, f Flavor, sig string, setup string, args ...string) (*progJob, *Debugger) {
	sh := StartShell(t, "bash")
	if setup != "" {
		sh.Command(setup, CmdTimeout)
	}
	j := startProgJob(t, sh, "", args...)
	d := Attach(t, j.Pid, DebuggerOptions{Flavor: f})
	d.Continue(t)
	j.C.WaitAdvance(t, EventTimeout)
	syscall.Kill(j.Pid, syscall.SIGUSR1)
	j.stopped(t, sig+" (a background job touched the terminal)")
	d.ExpectNotice(t, StoppedNotice(j.Pid, sig))
	j.Fg(t)
	j.C.WaitAdvance(t, EventTimeout)
	d.ExpectNotice(t, ContinuedNotice(j.Pid))
	return j, d
}

func scenarioTTIN(t testing.TB, f Flavor) {
	j, _ := ttyStop(t, f, "SIGTTIN", "", "-read")
	j.Sh.SendLine("hello")
	waitLog(t, j.Log, "read hello")
}

func scenarioTTOU(t testing.TB, f Flavor) {
	j, _ := ttyStop(t, f, "SIGTTOU", "stty tostop", "-write", "50ms")
	j.Sh.Expect(regexp.MustCompile(`line \d+\n`), EventTimeout)
	j.C.WaitAdvance(t, EventTimeout)
}

func scenarioAttachStopped(t testing.TB, f Flavor) {
	sh := StartShell(t, "bash")
	j := startProgJob(t, sh, "")
	j.Fg(t)
	j.CtrlZ(t)
	j.stopped(t, "Ctrl-Z")
	d := Attach(t, j.Pid, DebuggerOptions{Flavor: f})
	j.stopped(t, "the attach")
	d.Continue(t)
	j.stopped(t, "continue in the debugger")
	j.Fg(t)
	j.C.WaitAdvance(t, EventTimeout)
	d.ExpectNotice(t, ContinuedNotice(j.Pid))
}

func scenarioDetachStopped(t testing.TB, f Flavor) {
	sh := StartShell(t, "bash")
	j := startProgJob(t, sh, "")
	d := Attach(t, j.Pid, DebuggerOptions{Flavor: f})
	d.Break(t, "main.rare")
	d.Continue(t)
	d.Expect(regexp.MustCompile(`Breakpoint 1\] main\.rare`), EventTimeout)
	d.WaitPrompt(CmdTimeout)
	j.Kill(t, "STOP")
	d.Command("clear 1", CmdTimeout)
	d.Continue(t)
	j.stopped(t, "kill -STOP %1")
	d.Halt(t)
	d.Detach(t)
	WaitUntraced(t, j.Pid, "stopped", EventTimeout)
	j.stopped(t, "detach")
	j.Fg(t)
	for i := 0; i < 3; i++ { // several calls of main.rare: no breakpoint left
		j.C.WaitAdvance(t, EventTimeout)
	}
	WaitProc(t, j.Pid, "running, untraced", EventTimeout, func(pi ProcInfo) bool { return pi.Class() == "running" && pi.TracerPid == 0 })
}

func scenarioHaltWhileStopped(t testing.TB, f Flavor) {
	j, d := attachedJob(t, f)
	j.Fg(t)
	j.C.WaitAdvance(t, EventTimeout)
	j.CtrlZ(t)
	j.stopped(t, "Ctrl-Z")
	d.ExpectNotice(t, StoppedNotice(j.Pid, "SIGTSTP"))
	d.Halt(t)
	out := d.Command("goroutines", CmdTimeout)
	if !regexp.MustCompile(`\[\d+ goroutines\]`).MatchString(out) || !strings.Contains(out, "Goroutine 1 ") {
		t.Fatalf("goroutines while stopped: %q", out)
	}
	out = d.Command("goroutine 1 stack", CmdTimeout)
	if !strings.Contains(out, "main.main") {
		t.Fatalf("goroutine 1 stack while stopped: no main.main: %q", out)
	}
	d.Continue(t)
	j.stopped(t, "halt, inspect and continue in the debugger")
	j.Bg(t)
	j.running(t, "bg")
	d.ExpectNotice(t, ContinuedNotice(j.Pid))
}

func scenarioBreakAfterCont(t testing.TB, f Flavor) {
	j, d := attachedJob(t, f)
	j.Kill(t, "STOP")
	j.stopped(t, "kill -STOP %1")
	d.Halt(t)
	d.Break(t, "main.tick")
	d.Continue(t)
	j.stopped(t, "continue with a breakpoint")
	frozen := j.C.Value()
	j.Kill(t, "CONT")
	d.Expect(regexp.MustCompile(`> \[Breakpoint 1\] main\.tick\(\)`), EventTimeout)
	d.WaitPrompt(CmdTimeout)
	if d.Announces() && !ContinuedNotice(j.Pid).MatchString(d.Output()) {
		t.Errorf("no continued notice before the breakpoint: %q", d.Rest())
	}
	// The shell continued it: Running, though the debugger holds it at
	// the breakpoint (the kernel says t, the program does not run).
	j.Sh.WaitJobs(t, j.RunningRe(), EventTimeout)
	WaitState(t, j.Pid, 't', EventTimeout)
	if v, moved := j.C.Moves(300 * time.Millisecond); moved || v > frozen+1 {
		t.Fatalf("the program ran past the breakpoint: counter %d, %d when stopped", v, frozen)
	}
	d.Command("clearall", CmdTimeout)
	d.Continue(t)
	j.running(t, "continue after the breakpoint")
}

var exitedRe = regexp.MustCompile(`Process \d+ has exited with status (-?\d+)`)

func scenarioExitWhileStopped(t testing.TB, f Flavor) {
	var shellPid, progPid int
	defer func() {
		if t.Failed() && progPid != 0 {
			t.Logf("the kernel's view of the shell and the program:\n%s", KernelView(shellPid, progPid))
		}
	}()
	for _, c := range []struct{ sig, shell string }{{"KILL", "Killed"}, {"TERM", "Terminated"}} {
		sh := StartShell(t, "bash")
		j := startProgJob(t, sh, "")
		shellPid, progPid = sh.cmd.Process.Pid, j.Pid
		d := Attach(t, j.Pid, DebuggerOptions{Flavor: f})
		d.Continue(t)
		j.Kill(t, "STOP")
		j.stopped(t, "kill -STOP %1")
		from := sh.Mark()
		if c.sig == "KILL" {
			j.Kill(t, c.sig)
		} else {
			// From outside: bash's kill sends a stopped job SIGCONT
			// after SIGTERM. Pending until the stop ends: the Go
			// runtime's handler runs then and the program dies of it.
			syscall.Kill(j.Pid, syscall.SIGTERM)
			if _, moved := j.C.Moves(300 * time.Millisecond); moved {
				t.Fatalf("SIGTERM to a stopped job: it ran")
			}
			j.Kill(t, "CONT")
		}
		m := d.Expect(exitedRe, EventTimeout)
		t.Logf("kill -%s while stopped: %s says %q", c.sig, d.Flavor, m[0])
		WaitGone(t, j.Pid, EventTimeout)
		sh.WaitSays(t, from, c.shell, EventTimeout)
	}
}

// neverTrue makes breakpoint 1 a conditional one that never stops: its int3
// stays in main.rare, which runs every 20 ms, so a breakpoint left behind
// kills the program within 20 ms of the debugger's death.
const neverTrue = "condition 1 n < 0"

// jobRunningWithBreakpoint starts jobprog -rare 20 in a fresh bash (core
// dumps off), attaches, sets the never-stopping breakpoint 1 on main.rare
// and continues: int3 in place, hit every 20 ms.
func jobRunningWithBreakpoint(t testing.TB, f Flavor) (*progJob, *Debugger) {
	t.Helper()
	sh := StartShell(t, "bash")
	sh.Command("ulimit -c 0", CmdTimeout)
	j := startProgJob(t, sh, "", "-rare", "20")
	d := Attach(t, j.Pid, DebuggerOptions{Flavor: f})
	d.Break(t, "main.rare")
	d.Command(neverTrue, CmdTimeout)
	d.Continue(t)
	j.C.WaitAdvance(t, EventTimeout)
	return j, d
}

func scenarioDebuggerKilled(t testing.TB, f Flavor) {
	// Stopped and listened: the job stays stopped; fg continues it.
	sh := StartShell(t, "bash")
	j := startProgJob(t, sh, "", "-rare", "20")
	d := Attach(t, j.Pid, DebuggerOptions{Flavor: f})
	d.Continue(t)
	j.Kill(t, "STOP")
	j.stopped(t, "kill -STOP %1")
	d.ExpectNotice(t, StoppedNotice(j.Pid, "SIGSTOP"))
	d.Signal(t, syscall.SIGKILL)
	d.Wait(CmdTimeout)
	WaitUntraced(t, j.Pid, "stopped", EventTimeout)
	j.stopped(t, "the debugger's SIGKILL")
	j.Fg(t)
	for i := 0; i < 5; i++ {
		j.C.WaitAdvance(t, EventTimeout)
	}

	// Running with a breakpoint inserted: nobody can take the int3 out.
	outcome, detail := KillWithBreakpoint(t, f)
	t.Logf("MEASURED: %s SIGKILLed while running with a breakpoint inserted: %s: %s", f, outcome, detail)
}

// KillWithBreakpoint SIGKILLs the debugger while the program runs with a
// conditional breakpoint (never true) in main.rare, which it passes every
// 20 ms, and says what became of the program. The kernel detaches the
// tracee; what happens next depends on where the debugger was:
//
//   - "died: Trace/breakpoint trap": the int3 was in memory; the next
//     pass over it raised a SIGTRAP. Go's handler takes it as fatal and
//     calls runtime.fatalsignal, where Delve keeps its fatal-throw
//     breakpoint: that int3 traps inside the handler, with SIGTRAP blocked,
//     so the kernel resets SIGTRAP to its default action and delivers it
//     (force_sig_info_to_task), and the program dies of it without a word.
//     With the int3 in main.rare alone it would print Go's "SIGTRAP: trace
//     trap" report and exit with status 2 (both seen with a bare
//     PTRACE_SEIZE tracer that planted one or both and exited);
//   - "died: Segmentation fault" (or another fatal signal, as bash names
//     it): a thread the debugger held just past an int3 it had hit (PC one
//     byte into the instruction the int3 replaced) was let go by the
//     kernel mid-instruction;
//   - "survived": no int3 was left (most likely the debugger was stepping
//     a thread over the breakpoint, the original instruction back in place
//     for the step); the program runs on (checked for 100 more ticks).
//
// An end bash does not name, or no end, fails t.
func KillWithBreakpoint(t testing.TB, f Flavor) (outcome, detail string) {
	t.Helper()
	j, d := jobRunningWithBreakpoint(t, f)
	from := j.Sh.Mark()
	killed := time.Now()
	d.Signal(t, syscall.SIGKILL)
	d.Wait(CmdTimeout)
	at := j.C.Value()
	// Untraced at once (the kernel detaches the tracees of a dead
	// tracer), the program dies at its next pass over an int3 left in
	// memory: wait for its death, or for 100 more ticks (5 passes).
	pi := WaitProc(t, j.Pid, "gone, or untraced and 100 ticks further", EventTimeout, func(pi ProcInfo) bool {
		return pi.Class() == "gone" || (pi.TracerPid == 0 && j.C.Value() >= at+100)
	})
	if pi.Class() == "gone" {
		died := time.Since(killed)
		m := j.Sh.WaitSaysRe(t, from, deathRe, EventTimeout)
		return "died: " + m[1], fmt.Sprintf("%v after the kill (counter %d -> %d)",
			died.Round(time.Millisecond), at, j.C.Value())
	}
	j.running(t, "the debugger's SIGKILL")
	return "survived", fmt.Sprintf("untraced, ran on past main.rare (counter %d -> %d): no int3 was left in memory (most likely the kill came during a step-over, the original instruction back in place)", at, j.C.Value())
}

// deathRe matches bash's report of a job killed by a fatal signal.
var deathRe = regexp.MustCompile(`\[1\]\+?\s+(Trace/breakpoint trap|Segmentation fault|Illegal instruction|Bus error|Floating point exception|Aborted)`)

func scenarioDebuggerTermHup(t testing.TB, f Flavor) {
	// SIGHUP (terminal closed) while stopped and listened, breakpoint set.
	j, d := jobRunningWithBreakpoint(t, f)
	j.Kill(t, "STOP")
	j.stopped(t, "kill -STOP %1")
	d.Signal(t, syscall.SIGHUP)
	d.Wait(CmdTimeout)
	WaitUntraced(t, j.Pid, "stopped", EventTimeout)
	j.stopped(t, "the debugger's SIGHUP")
	j.Fg(t)
	for i := 0; i < 5; i++ { // five calls of main.rare at least
		j.C.WaitAdvance(t, 100*time.Millisecond+EventTimeout)
	}
	n := j.C.Value()
	for j.C.Value() < n+100 {
		j.C.WaitAdvance(t, EventTimeout)
	}

	// SIGTERM while running, breakpoint inserted.
	j2, d2 := jobRunningWithBreakpoint(t, f)
	d2.Signal(t, syscall.SIGTERM)
	d2.Wait(CmdTimeout)
	WaitUntraced(t, j2.Pid, "running", EventTimeout)
	n = j2.C.Value()
	for j2.C.Value() < n+100 {
		j2.C.WaitAdvance(t, EventTimeout)
	}
	j2.running(t, "the debugger's SIGTERM")
}

// termios returns the terminal's ICANON and ECHO flags.
func termios(t testing.TB, sh *Shell) (canon, echo bool) {
	t.Helper()
	tio, err := ioctlGetTermios(sh.PTY())
	if err != nil {
		t.Fatalf("TCGETS on the shell's pty: %v", err)
	}
	return tio.canon, tio.echo
}

func scenarioOwnHandlers(t testing.TB, f Flavor) {
	// dash: it leaves the terminal's modes alone, so what the terminal
	// says at its prompt is what the program left.
	sh := StartShell(t, "dash")
	bin := Program(t, "jobprog")
	c := NewCounter(t)
	log := filepath.Join(filepath.Dir(c.Path), "log")
	sh.SendLine(fmt.Sprintf("%s -out %s -log %s -editor", bin, c.Path, log))
	c.Pid = progPid(t, log)
	j := &progJob{Job: &Job{Sh: sh, N: 1, Pid: c.Pid}, C: c, Log: log, Bin: bin}
	waitLog(t, log, "raw")
	if pi, err := Proc(c.Pid); err != nil || !Has(pi.SigCgt, int(syscall.SIGTSTP)) || !Has(pi.SigCgt, int(syscall.SIGCONT)) {
		t.Fatalf("the program does not catch SIGTSTP and SIGCONT: SigCgt %x (%v)", pi.SigCgt, err)
	}

	type step struct {
		log          string
		canon, echo  bool
		stoppedShell bool
	}
	var got []step
	record := func(stopped bool) {
		l := logLines(log)
		canon, echo := termios(t, sh)
		got = append(got, step{l[len(l)-1], canon, echo, stopped})
	}
	ctrlZ := func() {
		j.CtrlZ(t)
		waitLog(t, log, "tstp")
		j.stopped(t, "Ctrl-Z")
		record(true)
	}
	fg := func() {
		j.Fg(t)
		waitLog(t, log, "raw")
		c.WaitAdvance(t, EventTimeout)
		record(false)
	}
	// Without a debugger, then with one attached to the stopped job.
	ctrlZ()
	fg()
	ctrlZ()
	without := append([]step(nil), got...)
	got = nil
	d := Attach(t, j.Pid, DebuggerOptions{Flavor: f})
	d.Continue(t)
	fg()
	ctrlZ()
	fg()
	d.ExpectNotice(t, StoppedNotice(j.Pid, "SIGSTOP"))
	with := got
	want := []step{without[1], without[2], without[1]}
	if fmt.Sprint(with) != fmt.Sprint(want) {
		t.Fatalf("with %s attached: %+v, without: %+v", f, with, without)
	}
	if !without[0].canon || !without[0].echo || without[1].canon || without[1].echo {
		t.Fatalf("without a debugger the program did not switch the terminal as it should: %+v", without)
	}
	if l := logLines(log); strings.Count(strings.Join(l, "\n"), "tstp") != 3 {
		t.Fatalf("log %q: want 3 tstp", l)
	}
}

func scenarioPipeline(t testing.TB, f Flavor) {
	sh := StartShell(t, "bash")
	j := startProgJob(t, sh, " | cat")
	cat, prog := j.Pid, j.C.Pid
	d := Attach(t, prog, DebuggerOptions{Flavor: f})
	d.Continue(t)
	catState := func(want string) {
		t.Helper()
		WaitProc(t, cat, "cat "+want+" and untraced", EventTimeout, func(pi ProcInfo) bool {
			return pi.Class() == want && pi.TracerPid == 0
		})
	}
	j.Kill(t, "STOP")
	j.stopped(t, "kill -STOP %1 (the pipeline)")
	catState("stopped")
	d.ExpectNotice(t, StoppedNotice(prog, "SIGSTOP"))
	j.Kill(t, "CONT")
	j.running(t, "kill -CONT %1")
	catState("running")
	d.ExpectNotice(t, ContinuedNotice(prog))
	j.Fg(t)
	j.C.WaitAdvance(t, EventTimeout)
	j.CtrlZ(t)
	j.stopped(t, "Ctrl-Z (the pipeline)")
	catState("stopped")
	d.ExpectNotice(t, StoppedNotice(prog, "SIGTSTP"))
	j.Bg(t)
	j.running(t, "bg")
	catState("running")
	d.ExpectNotice(t, ContinuedNotice(prog))
}
