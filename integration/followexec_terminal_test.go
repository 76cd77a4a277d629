//go:build linux

package integration

// Follow-exec in dlv-listen's terminal, with Delve's `target` commands as
// stock dlv has them: a Go parent (the spawner) starting Go children with
// os/exec; a breakpoint that only a child hits stops in the child, where
// its variables are evaluated; `target list` shows both processes,
// `target switch` goes back to the parent.

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dlv-listen/dlv-listen/internal/testprog"
)

// feSwitchRe is the terminal's line when a stop is in another process.
var feSwitchRe = regexp.MustCompile(`Switch target process from (\d+) to (\d+) \(([^\n]*)\)`)

// feFollowOn types `target follow-exec -on` and checks it took.
func feFollowOn(t *testing.T, d *Debugger) {
	t.Helper()
	if out := d.Command("target follow-exec -on", CmdTimeout); strings.TrimSpace(out) != "" {
		t.Fatalf("target follow-exec -on: %q", out)
	}
	if out := d.Command("target follow-exec", CmdTimeout); !strings.Contains(out, "Follow exec is enabled.") {
		t.Fatalf("target follow-exec after -on: %q", out)
	}
}

// feStopInChild continues and waits for the stop at fn in a child of parent:
// the terminal says it switched to the child. It returns the child's pid
// and its command line as the terminal showed it.
func feStopInChild(t *testing.T, d *Debugger, parent int, fn string) (int, string) {
	t.Helper()
	d.Continue(t)
	m := d.Expect(feSwitchRe, StartTimeout)
	from, _ := strconv.Atoi(m[1])
	child, _ := strconv.Atoi(m[2])
	if from != parent || child == parent {
		t.Fatalf("switched from %d to %d, want from the parent %d to a child", from, child, parent)
	}
	d.Expect(regexp.MustCompile(`> \[Breakpoint 1\] `+regexp.QuoteMeta(fn)+`\(\)`), CmdTimeout)
	d.WaitPrompt(CmdTimeout)
	return child, m[3]
}

// feSuspendedBreak types `break LOC` for a location no process has yet,
// answers yes to the terminal's offer of a suspended breakpoint (made
// when follow-exec is on) and waits for breakpoint 1.
func feSuspendedBreak(t *testing.T, d *Debugger, loc string) {
	t.Helper()
	d.SendLine("break " + loc)
	d.Expect("Set a suspended breakpoint (Delve will try to set this breakpoint when child processes are added) [Y/n]?", CmdTimeout)
	d.SendLine("y")
	d.Expect("Breakpoint 1 set at", CmdTimeout)
	d.WaitPrompt(CmdTimeout)
}

// fePrintInt types `print EXPR` and returns the integer it printed.
func fePrintInt(t *testing.T, d *Debugger, expr string) int {
	t.Helper()
	out := strings.TrimSpace(d.Command("print "+expr, CmdTimeout))
	n, err := strconv.Atoi(out)
	if err != nil {
		t.Fatalf("print %s: %q, want an integer", expr, out)
	}
	return n
}

// feCheckTargets types `target list` and checks it lists parent and child
// (the child's line saying childArgs), the child selected.
func feCheckTargets(t *testing.T, d *Debugger, parent, child int, childArgs string) {
	t.Helper()
	out := d.Command("target list", CmdTimeout)
	childLine := regexp.MustCompile(fmt.Sprintf(`(?m)^\*\s+%d\s+.*%s$`, child, regexp.QuoteMeta(childArgs)))
	parentLine := regexp.MustCompile(fmt.Sprintf(`(?m)^\s+%d\s+\S+`, parent))
	if !childLine.MatchString(out) || !parentLine.MatchString(out) {
		t.Fatalf("target list: %q; want the child %d (selected, %q) and the parent %d", out, child, childArgs, parent)
	}
}

// feSwitchToParent types `target switch PARENT` and checks the current
// thread is then the parent's (`threads` lists the threads of every
// process, the current one marked).
func feSwitchToParent(t *testing.T, d *Debugger, parent int) {
	t.Helper()
	if out := d.Command(fmt.Sprintf("target switch %d", parent), CmdTimeout); strings.TrimSpace(out) != "" {
		t.Fatalf("target switch %d: %q", parent, out)
	}
	if out := d.Command("threads", CmdTimeout); !regexp.MustCompile(fmt.Sprintf(`(?m)^\* Thread %d at`, parent)).MatchString(out) {
		t.Fatalf("threads after target switch %d: %q; want the parent's thread %d current", parent, out, parent)
	}
}

// feDetach clears every breakpoint and detaches (the debugger at its
// prompt), leaving the spawner running.
func feDetach(t *testing.T, d *Debugger, job *testprog.Job) {
	t.Helper()
	d.Command("clearall", CmdTimeout)
	d.Detach(t)
	WaitUntraced(t, job.Pid, "running", EventTimeout)
}

// feSpawnerEnd waits until the spawner reported child pid's end and returns it
// ("exit 3", "signal ...").
func feSpawnerEnd(t *testing.T, job *testprog.Job, pid int) string {
	t.Helper()
	re := regexp.MustCompile(fmt.Sprintf(`(?m)^child \d+ pid %d (.*)$`, pid))
	deadline := time.Now().Add(testprog.Timeout(StartTimeout))
	for {
		if m := re.FindStringSubmatch(job.Output()); m != nil {
			return m[1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("the spawner did not report child %d; output:\n%s", pid, job.Output())
		}
		time.Sleep(Poll)
	}
}

// A breakpoint set in the parent on a function its children also have
// (main.childWork: the spawner's children run its own program) stays the
// parent's, as in stock dlv, whose terminal binds a breakpoint it found to
// the addresses and pid it found it at: every child is spawned, announced
// and runs childWork to its end (exit 3), the stops are all the parent's
// (main.round). Run under dlv-listen and stock dlv.
func TestFollowExecParentBreakpointStaysInParent(t *testing.T) {
	for _, f := range []Flavor{FlavorDlvListen, FlavorStockDlv} {
		t.Run(string(f), func(t *testing.T) {
			job := testprog.Start(t, "spawner", "-period", "5ms")
			if f == FlavorStockDlv {
				StockDlv(t)
				job.WaitSettled(t)
			}
			d := Attach(t, job.Pid, DebuggerOptions{Flavor: f, Settled: true})
			feFollowOn(t, d)
			d.Break(t, "main.childWork")
			d.Break(t, "main.round")
			var spawned []int
			for i := 0; i < 4; i++ {
				d.Continue(t)
				m := d.Expect(regexp.MustCompile(`(?s)(.*)> \[Breakpoint (\d+)\] (\S+)\(\)`), StartTimeout)
				if m[2] != "2" || m[3] != "main.round" || feSwitchRe.MatchString(m[1]) {
					t.Fatalf("%s: stop %d at breakpoint %s in %s, after %q; want main.round in the parent", f, i, m[2], m[3], m[1])
				}
				for _, sm := range regexp.MustCompile(`Spawned new process '[^']*' \((\d+)\)`).FindAllStringSubmatch(m[1], -1) {
					pid, _ := strconv.Atoi(sm[1])
					spawned = append(spawned, pid)
				}
				d.WaitPrompt(CmdTimeout)
			}
			if len(spawned) < 3 {
				t.Fatalf("%s: %d children announced in 4 rounds: %v", f, len(spawned), spawned)
			}
			feDetach(t, d, job)
			for _, pid := range spawned {
				if end := feSpawnerEnd(t, job, pid); end != "exit 3" {
					t.Errorf("%s: child %d: %s, want exit 3", f, pid, end)
				}
			}
		})
	}
}

// A breakpoint on a function only the children have (they run the
// counter): the terminal offers a suspended breakpoint, which stops in the
// child once it has the function; `print n` evaluates in the child,
// `target list` shows parent and child, `target switch` goes back to the
// parent; after the detach the child runs to its end (exit 0).
func TestFollowExecTerminal(t *testing.T) {
	counterBin := Program(t, "counter")
	var pgid int
	out := filepath.Join(KidsDir(t, &pgid), "child-counter")
	job := testprog.Start(t, "spawner", "-period", "20ms", "-exec", counterBin, "--",
		"-out", out, "-iterations", "2", "-workers", "0")
	pgid = job.Pid // jobparent makes it a group leader
	d := Attach(t, job.Pid, DebuggerOptions{})
	feFollowOn(t, d)
	feSuspendedBreak(t, d, "main.tick")
	child, _ := feStopInChild(t, d, job.Pid, "main.tick")
	if n := fePrintInt(t, d, "n"); n != 1 {
		t.Fatalf("first stop in child %d: n = %d, want 1", child, n)
	}
	feCheckTargets(t, d, job.Pid, child, "-iterations 2 -workers 0")
	d.Continue(t)
	d.Expect(regexp.MustCompile(`> \[Breakpoint 1\] main\.tick\(\)`), CmdTimeout)
	d.WaitPrompt(CmdTimeout)
	if n := fePrintInt(t, d, "n"); n != 2 {
		t.Fatalf("second stop: n = %d, want 2 (in child %d)", n, child)
	}
	feSwitchToParent(t, d, job.Pid)
	feDetach(t, d, job)
	if end := feSpawnerEnd(t, job, child); end != "exit 0" {
		t.Fatalf("child %d: %s, want exit 0", child, end)
	}
}

// A debuggee that execs a program itself (reexec, on SIGUSR1), with
// follow-exec on: as stock dlv does, the terminal announces the new
// program as a spawned process with the same pid and stops at the
// breakpoint in it; `target list` lists it alone (stock dlv lists the old
// program too); the detach leaves it running.
func TestFollowExecSelfExecTerminal(t *testing.T) {
	job := testprog.Start(t, "reexec", "-period", "20ms")
	d := Attach(t, job.Pid, DebuggerOptions{})
	feFollowOn(t, d)
	d.Break(t, "main.round")
	d.Continue(t)
	d.Expect(regexp.MustCompile(`> \[Breakpoint 1\] main\.round\(\)`), CmdTimeout)
	d.WaitPrompt(CmdTimeout)
	if g := fePrintInt(t, d, "*main.gen"); g != 1 {
		t.Fatalf("first stop: gen %d, want 1", g)
	}
	if err := syscall.Kill(job.Pid, syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	spawned := regexp.MustCompile(fmt.Sprintf(`Spawned new process '[^']*-gen 2' \(%d\)`, job.Pid))
	for i := 0; ; i++ {
		mark := d.Mark()
		d.Continue(t)
		d.Expect(regexp.MustCompile(`> \[Breakpoint 1\] main\.round\(\)`), StartTimeout)
		d.WaitPrompt(CmdTimeout)
		if spawned.MatchString(d.Since(mark)) {
			break
		}
		if i == 20 {
			t.Fatalf("no new program announced in 20 stops after SIGUSR1; output:\n%s", job.Output())
		}
	}
	if g := fePrintInt(t, d, "*main.gen"); g != 2 {
		t.Fatalf("stop after the exec: gen %d, want 2", g)
	}
	if n := fePrintInt(t, d, "n"); n != 1 {
		t.Fatalf("stop after the exec: round %d, want the new program's first", n)
	}
	out := d.Command("target list", CmdTimeout)
	if lines := regexp.MustCompile(`(?m)^\*?\s+\d+\s+\S`).FindAllString(out, -1); len(lines) != 1 || !strings.Contains(out, strconv.Itoa(job.Pid)) {
		t.Fatalf("target list: %q; want the new program alone (%d)", out, job.Pid)
	}
	if out := d.Command("jobs", CmdTimeout); strings.Contains(out, "exited") || !strings.Contains(out, fmt.Sprintf("process %d", job.Pid)) {
		t.Fatalf("jobs after the exec: %q; want process %d, not exited", out, job.Pid)
	}
	d.Command("clearall", CmdTimeout)
	d.Detach(t)
	WaitUntraced(t, job.Pid, "running", EventTimeout)
}
