package backend_test

// Child processes of the debuggee: a child made by fork(2) has a copy of
// the parent's memory, breakpoints included, and one made by os/exec
// (vfork) shares it until it execs. Neither may die of a breakpoint trap,
// stay traced, or make a halt or a detach wait.

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-delve/delve/pkg/proc"
	"github.com/go-delve/delve/pkg/proc/native"

	"github.com/dlv-listen/dlv-listen/internal/testprog"
)

// childLine is one child the forker reaped: "exec N exit 0", "fork N exit
// 7", "traceme N exit 0".
var childLine = regexp.MustCompile(`^(exec|fork|traceme) (\d+) (.*)$`)

// forkerChildren parses the forker's report (its output) of the children
// of rounds >= from: how many of each kind, and any that did not end as it
// should.
func forkerChildren(output string, from int) (execs, forks int, bad []string) {
	for _, l := range strings.Split(output, "\n") {
		m := childLine.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		if n, _ := strconv.Atoi(m[2]); n < from {
			continue
		}
		want := "exit 0"
		if m[1] == "fork" {
			want = "exit 7" // inChild(3): it ran the function that has the breakpoint
			forks++
		} else {
			execs++
		}
		if m[3] != want {
			bad = append(bad, l)
		}
	}
	return execs, forks, bad
}

// childrenThatDied lists the forker's children that did not end normally.
func childrenThatDied(job *testprog.Job) []string {
	_, _, bad := forkerChildren(job.Output(), 0)
	return bad
}

// tracedChildren lists the children of pid that some process traces.
func tracedChildren(pid int) []string {
	var r []string
	for _, c := range childrenOf(pid) {
		if _, tracer, err := testprog.ProcStat(c); err == nil && tracer != 0 {
			r = append(r, fmt.Sprintf("%d (traced by %d)", c, tracer))
		}
	}
	return r
}

// fastBound is how long a halt or a detach may take while children come and
// go or a thread waits for its vfork child (scaled for slow machines): far
// below stopDeadline, which is what waiting for such a thread would cost.
var fastBound = testprog.Timeout(time.Second)

// waitRounds waits until the forker has finished round n.
func waitRounds(t *testing.T, job *testprog.Job, n int64) {
	t.Helper()
	deadline := time.Now().Add(jcTimeout)
	for job.Counter() < n {
		if time.Now().After(deadline) {
			t.Fatalf("the forker did not finish round %d within %v (at %d); output:\n%s", n, jcTimeout, job.Counter(), job.Output())
		}
		time.Sleep(time.Millisecond)
	}
}

// breakForChildren sets breakpoints where only children go and one where
// only the parent goes, main.round, whose address it returns, and
// continues to main.round rounds times: only raw-fork children run
// main.inChild (in their copy of the parent's memory), only os/exec's
// children run runtime_AfterForkInChild (in the parent's memory, shared
// until exec).
func breakForChildren(t *testing.T, grp *proc.TargetGroup, rounds int) uint64 {
	t.Helper()
	tgt := grp.Selected
	var roundBP uint64
	for i, fn := range []string{"main.inChild", "syscall.runtime_AfterForkInChild", "main.round"} {
		addrs, err := proc.FindFunctionLocation(tgt, fn, 0)
		if err != nil || len(addrs) == 0 {
			t.Fatalf("FindFunctionLocation(%s): %v %v", fn, addrs, err)
		}
		if _, err := tgt.SetBreakpoint(i+1, addrs[0], proc.UserBreakpoint, nil); err != nil {
			t.Fatalf("SetBreakpoint(%s): %v", fn, err)
		}
		roundBP = addrs[0]
	}
	for i := 0; i < rounds; i++ {
		if err := grp.Continue(); err != nil {
			t.Fatalf("continue %d: %v", i, err)
		}
		loc, err := proc.ThreadLocation(tgt.CurrentThread())
		if err != nil || loc.Fn == nil || loc.Fn.Name != "main.round" {
			t.Fatalf("continue %d: stopped at %+v (%v), want main.round", i, loc, err)
		}
	}
	return roundBP
}

func TestForkedChildrenKeepNoBreakpoints(t *testing.T) {
	job := testprog.Start(t, "forker")
	s := jcAttach(t, job)
	from := int(job.Counter()) + 2 // rounds begun before the breakpoints were in do not count
	roundBP := breakForChildren(t, s.grp, 5)
	if err := s.tgt.ClearBreakpoint(roundBP); err != nil {
		t.Fatalf("ClearBreakpoint(main.round): %v", err)
	}
	// Halts while children come and go: vfork parents wait in the kernel
	// for their child, where PTRACE_INTERRUPT cannot stop them.
	var slowest time.Duration
	for i := 0; i < 20; i++ {
		c := s.continueAsync()
		waitRounds(t, job, job.Counter()+1)
		start := time.Now()
		c.halt()
		slowest = max(slowest, time.Since(start))
		if traced := tracedChildren(job.Pid); len(traced) > 0 {
			// A child the kernel attached to us is let go at its first
			// stop, or at its exec (vfork); none stays traced while the
			// debuggee is held... except a vfork child that has not
			// reached exec yet.
			t.Logf("halt %d: traced children %v", i, traced)
		}
	}
	t.Logf("slowest of 20 halts under fork/vfork churn: %v", slowest)
	if slowest > fastBound {
		t.Errorf("a halt under fork/vfork churn took %v", slowest)
	}
	detachStart := time.Now()
	if err := s.grp.Detach(false); err != nil {
		t.Fatalf("detach: %v", err)
	}
	t.Logf("detach under churn: %v", time.Since(detachStart))
	// The program goes on making children, untraced and unharmed.
	waitRounds(t, job, job.Counter()+3)
	if traced := tracedChildren(job.Pid); len(traced) > 0 {
		t.Errorf("children still traced after detach: %v", traced)
	}
	if _, tracer, err := testprog.ProcStat(job.Pid); err != nil || tracer != 0 {
		t.Errorf("debuggee after detach: tracer %d, %v", tracer, err)
	}
	execs, forks, bad := forkerChildren(job.Output(), from)
	t.Logf("%d os/exec children and %d fork children since the breakpoints", execs, forks)
	if len(bad) > 0 {
		t.Fatalf("children that did not end normally: %q", bad)
	}
	if execs < 20 || forks < 20 {
		t.Fatalf("only %d exec and %d fork children checked", execs, forks)
	}
}

// taskStatus reads State's letter and TracerPid of thread tid of pid.
func taskStatus(pid, tid int) (byte, int) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/status", pid, tid))
	if err != nil {
		return 0, 0
	}
	var state byte
	tracer := 0
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "State:"); ok {
			if v = strings.TrimSpace(v); v != "" {
				state = v[0]
			}
		}
		if v, ok := strings.CutPrefix(l, "TracerPid:"); ok {
			tracer, _ = strconv.Atoi(strings.TrimSpace(v))
		}
	}
	return state, tracer
}

// childrenOf lists the processes whose parent is pid.
func childrenOf(pid int) []int {
	ents, _ := os.ReadDir("/proc")
	var r []int
	for _, e := range ents {
		cpid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", cpid))
		if err != nil {
			continue
		}
		i := strings.LastIndexByte(string(b), ')')
		if f := strings.Fields(string(b[i+1:])); len(f) >= 2 && f[1] == strconv.Itoa(pid) {
			r = append(r, cpid)
		}
	}
	return r
}

// pollFor polls cond until it holds or jcTimeout passes.
func pollFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(jcTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, jcTimeout)
		}
		time.Sleep(time.Millisecond)
	}
}

// A vfork parent sleeps in the kernel until its child execs or exits,
// where PTRACE_INTERRUPT does not stop it. Here the child stops itself
// (SIGSTOP) first, so the parent waits for as long as the child is
// stopped: halts and the detach must not wait for it, and the child keeps
// its job state through the detach. With a breakpoint a vfork child could
// run into (in os/exec's child code), vfork children are traced: the
// waiter's registers are those of its PTRACE_EVENT_VFORK stop. With none
// (Delve's crash breakpoints aside) they are not: the halt finds the
// waiter in /proc, refuses its registers with the reason, and seizes its
// child, which shares the memory the next breakpoint goes into.
func TestVforkParentDoesNotBlockHaltOrDetach(t *testing.T) {
	for _, traced := range []bool{true, false} {
		t.Run(fmt.Sprintf("traced=%v", traced), func(t *testing.T) {
			testVforkParentDoesNotBlock(t, traced)
		})
	}
}

func testVforkParentDoesNotBlock(t *testing.T, traced bool) {
	job := testprog.Start(t, "forker", "-exec=false", "-fork=false", "-period", "5ms")
	s := jcAttach(t, job)
	if traced {
		// Where os/exec's children go (none with -exec=false): it makes
		// vfork children traced.
		const fn = "syscall.runtime_AfterForkInChild"
		addrs, err := proc.FindFunctionLocation(s.tgt, fn, 0)
		if err != nil || len(addrs) == 0 {
			t.Fatalf("FindFunctionLocation(%s): %v %v", fn, addrs, err)
		}
		if _, err := s.tgt.SetBreakpoint(1, addrs[0], proc.UserBreakpoint, nil); err != nil {
			t.Fatalf("SetBreakpoint(%s): %v", fn, err)
		}
	}
	c := s.continueAsync()
	if err := syscall.Kill(job.Pid, syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	var kid int
	pollFor(t, "a stopped vfork child", func() bool {
		for _, k := range childrenOf(job.Pid) {
			if st, _ := taskStatus(k, k); st == 't' || st == 'T' {
				kid = k
				return true
			}
		}
		return false
	})
	t.Cleanup(func() { _ = syscall.Kill(kid, syscall.SIGKILL) })
	var waiter int
	pollFor(t, "the parent thread in its vfork wait", func() bool {
		for tid := range tasksOf(t, job.Pid) {
			if st, _ := taskStatus(job.Pid, tid); st == 'D' {
				waiter = tid
				return true
			}
		}
		return false
	})
	if _, tracer := taskStatus(kid, kid); (tracer != 0) != traced {
		t.Fatalf("before the halt the vfork child %d has tracer %d, want it traced: %v", kid, tracer, traced)
	}
	for i := 0; i < 3; i++ {
		if i > 0 {
			c = s.continueAsync()
		}
		start := time.Now()
		c.halt()
		if d := time.Since(start); d > fastBound {
			t.Errorf("halt %d with a thread in its vfork wait took %v", i, d)
		}
		for _, th := range s.tgt.ThreadList() {
			_, err := th.Registers()
			switch {
			case th.ThreadID() == waiter && !traced:
				if err == nil || !strings.Contains(err.Error(), "vfork child") {
					t.Errorf("halt %d: registers of the untraced vfork waiter %d: %v, want the reason they cannot be read", i, waiter, err)
				}
			case err != nil:
				t.Errorf("halt %d: registers of thread %d (vfork waiter %d): %v", i, th.ThreadID(), waiter, err)
			}
		}
		if st, _ := taskStatus(job.Pid, waiter); st != 'D' {
			t.Fatalf("halt %d: the vfork waiter %d is in state %c, want D", i, waiter, st)
		}
		if _, tracer := taskStatus(kid, kid); tracer == 0 {
			t.Errorf("halt %d: the vfork child %d is not traced: our breakpoints are in the memory it shares", i, kid)
		}
	}
	start := time.Now()
	if err := s.grp.Detach(false); err != nil {
		t.Fatalf("detach: %v", err)
	}
	if d := time.Since(start); d > fastBound {
		t.Errorf("detach with a thread in its vfork wait took %v", d)
	}
	// The child stays stopped, untraced; the parent's threads are let go
	// (the waiter when the tracer thread exits).
	var why string
	untraced := func() bool {
		if st, tr := taskStatus(kid, kid); st != 'T' || tr != 0 {
			why = fmt.Sprintf("child %d: state %c, tracer %d", kid, st, tr)
			return false
		}
		for tid := range tasksOf(t, job.Pid) {
			if st, tr := taskStatus(job.Pid, tid); tr != 0 {
				why = fmt.Sprintf("thread %d: state %c, tracer %d", tid, st, tr)
				return false
			}
		}
		return true
	}
	deadline := time.Now().Add(jcTimeout)
	for !untraced() {
		if time.Now().After(deadline) {
			t.Fatalf("not every task untraced %v after detach: %s", jcTimeout, why)
		}
		time.Sleep(time.Millisecond)
	}
	if st, _ := taskStatus(job.Pid, waiter); st != 'D' {
		t.Fatalf("after detach the vfork waiter %d is in state %c, want D (its child is stopped)", waiter, st)
	}
	if err := syscall.Kill(kid, syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	pollFor(t, "the vfork child's exit reported by the parent", func() bool {
		return regexp.MustCompile(`(?m)^vfork \d+ exit 0$`).MatchString(job.Output())
	})
	waitRounds(t, job, job.Counter()+2)
}

// The end of a vfork wait is not reported by the kernel (no
// PTRACE_O_TRACEVFORKDONE): a halt interrupts the waiter too, and the
// interrupt, pending through the wait, must stop the thread when the wait
// ends. Here the wait ends while the program is halted: the child, which
// blocks without a stop (so no SIGCHLD waits for its parent), is killed.
// The waiter stops before it runs any of its code ("vfork N returned" is
// its first act), and runs on at the next continue.
func TestVforkWaitEndsWhileHalted(t *testing.T) {
	job := testprog.Start(t, "forker", "-exec=false", "-fork=false", "-period", "5ms")
	s := jcAttach(t, job)
	c := s.continueAsync()
	if err := syscall.Kill(job.Pid, syscall.SIGUSR2); err != nil {
		t.Fatal(err)
	}
	var kid, waiter int
	pollFor(t, "a vfork child and its parent thread in its vfork wait", func() bool {
		kids := childrenOf(job.Pid)
		if len(kids) != 1 {
			return false
		}
		kid = kids[0]
		for tid := range tasksOf(t, job.Pid) {
			if st, _ := taskStatus(job.Pid, tid); st == 'D' {
				waiter = tid
				return true
			}
		}
		return false
	})
	t.Cleanup(func() { _ = syscall.Kill(kid, syscall.SIGKILL) })
	c.halt()
	if err := syscall.Kill(kid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	var why string
	pollFor(t, "the waiter stopped at the end of its wait", func() bool {
		st, _ := taskStatus(job.Pid, waiter)
		why = fmt.Sprintf("state %c", st)
		return st == 't'
	})
	if regexp.MustCompile(`(?m)^vfork \d+ returned$`).MatchString(job.Output()) {
		t.Fatalf("the vfork waiter %d ran while the program was halted (%s)", waiter, why)
	}
	for _, th := range s.tgt.ThreadList() {
		if _, err := th.Registers(); err != nil {
			t.Errorf("registers of thread %d (vfork waiter %d): %v", th.ThreadID(), waiter, err)
		}
	}
	c = s.continueAsync()
	pollFor(t, "the vfork child's end reported by the parent", func() bool {
		return regexp.MustCompile(`(?m)^vfork \d+ signal killed$`).MatchString(job.Output())
	})
	waitRounds(t, job, job.Counter()+2)
	c.halt()
	for _, th := range s.tgt.ThreadList() {
		if _, err := th.Registers(); err != nil {
			t.Errorf("after the wait: registers of thread %d: %v", th.ThreadID(), err)
		}
	}
}

// The same program under Delve's native backend (v1.27.2, which traces
// clones only): the children run into the breakpoints they carry and die
// of SIGTRAP. This records the comparison; it fails if native ever stops
// killing them, so the comparison stays a true one.
func TestForkedChildrenUnderNative(t *testing.T) {
	job := testprog.Start(t, "forker")
	// Native reaps with wait4(-1) without __WNOTHREAD: no session of ours
	// and no other child of this test binary may start meanwhile (see
	// bench_test.go).
	grp, err := native.Attach(job.Pid, nil, nil)
	if err != nil {
		t.Fatalf("native attach %d: %v", job.Pid, err)
	}
	from := int(job.Counter()) + 2
	breakForChildren(t, grp, 5)
	if err := grp.Detach(false); err != nil {
		t.Fatalf("native detach: %v", err)
	}
	waitRounds(t, job, job.Counter()+2)
	_, _, bad := forkerChildren(job.Output(), from)
	t.Logf("children of forker under native: %d died: %q", len(bad), bad)
	if len(bad) == 0 {
		t.Fatalf("no child died under native: the comparison with native no longer holds")
	}
	for _, l := range bad {
		if !strings.HasSuffix(l, "signal trace/breakpoint trap") {
			t.Errorf("under native, child %q: want death by SIGTRAP", l)
		}
	}
}

// forkStressChildren is how many children the stress test has the debuggee
// start and reap: DLV_LISTEN_STRESS=full for the 1,000.
func forkStressChildren() int {
	if os.Getenv("DLV_LISTEN_STRESS") == "full" {
		return 1000
	}
	return 100
}

// Children started and reaped by the debuggee, half with os/exec and half
// with a raw fork, while a breakpoint in the parent is hit once per round
// and breakpoints lie where only children go: every child exits normally,
// every round stops exactly once, nothing hangs.
func TestForkStress(t *testing.T) {
	children := forkStressChildren()
	job := testprog.Start(t, "forker", "-period", "0s")
	s := jcAttach(t, job)
	start := time.Now()
	breakForChildren(t, s.grp, 1)
	first := job.Counter()
	rounds := children / 2 // an os/exec child and a fork child per round
	for i := 1; i < rounds; i++ {
		s.continueAsync().atBreakpoint("main.round")
		// At main.round(n) the counter says n-1: one stop per round, none
		// lost, none doubled.
		if got, want := job.Counter(), first+int64(i); got != want {
			t.Fatalf("stop %d: the program finished round %d, want %d", i, got, want)
		}
	}
	elapsed := time.Since(start)
	if err := s.grp.Detach(false); err != nil {
		t.Fatalf("detach: %v", err)
	}
	waitRounds(t, job, job.Counter()+2)
	execs, forks, bad := forkerChildren(job.Output(), int(first)+1)
	if len(bad) > 0 {
		t.Fatalf("children that did not end normally: %q", bad)
	}
	if execs < rounds || forks < rounds {
		t.Fatalf("%d exec and %d fork children, want at least %d of each", execs, forks, rounds)
	}
	if traced := tracedChildren(job.Pid); len(traced) > 0 {
		t.Errorf("children still traced after detach: %v", traced)
	}
	t.Logf("%d children in %d rounds, a breakpoint stop per round: %v (%.0f children/s)",
		2*(rounds-1), rounds-1, elapsed.Round(time.Millisecond), float64(2*(rounds-1))/elapsed.Seconds())
}

// Attaching while a thread sleeps in its vfork wait (its child stopped
// before exec): only /proc says so, since no PTRACE_EVENT_VFORK of it
// was reported. The attach must not wait for the thread to stop; its
// registers are refused with the reason; its child is traced, kept in its
// job state, and let go at the detach.
func TestAttachDuringVforkWait(t *testing.T) {
	job := testprog.Start(t, "forker", "-exec=false", "-fork=false", "-period", "5ms")
	if err := syscall.Kill(job.Pid, syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	var kid int
	pollFor(t, "a stopped vfork child", func() bool {
		for _, k := range childrenOf(job.Pid) {
			if st, _ := taskStatus(k, k); st == 'T' {
				kid = k
				return true
			}
		}
		return false
	})
	t.Cleanup(func() { _ = syscall.Kill(kid, syscall.SIGKILL) })
	start := time.Now()
	s := jcAttach(t, job)
	if d := time.Since(start); d > 5*fastBound {
		t.Errorf("attach with a thread in its vfork wait took %v", d)
	}
	if _, tracer := taskStatus(kid, kid); tracer == 0 {
		t.Errorf("the vfork child %d is not traced: our breakpoints are in the memory it shares", kid)
	}
	waiters := 0
	for _, th := range s.tgt.ThreadList() {
		if _, err := th.Registers(); err != nil {
			if !strings.Contains(err.Error(), "vfork child") {
				t.Errorf("registers of thread %d: %v", th.ThreadID(), err)
			}
			waiters++
		}
	}
	if waiters != 1 {
		t.Errorf("%d threads with unreadable registers, want the one vfork waiter", waiters)
	}
	c := s.continueAsync()
	start = time.Now()
	c.halt()
	if d := time.Since(start); d > fastBound {
		t.Errorf("halt with a thread in its vfork wait took %v", d)
	}
	if err := s.grp.Detach(false); err != nil {
		t.Fatalf("detach: %v", err)
	}
	pollFor(t, "the vfork child let go, still stopped", func() bool {
		st, tracer := taskStatus(kid, kid)
		return st == 'T' && tracer == 0
	})
	if err := syscall.Kill(kid, syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	pollFor(t, "the vfork child's exit reported by the parent", func() bool {
		return regexp.MustCompile(`(?m)^vfork \d+ exit 0$`).MatchString(job.Output())
	})
	waitRounds(t, job, job.Counter()+2)
}

// A launched forker, its breakpoints planted before its first child: every
// child of every round lives.
func TestLaunchedForkerChildren(t *testing.T) {
	bin := testprog.Build(t, "forker")
	dir := t.TempDir()
	stdout := filepath.Join(dir, "stdout")
	grp := launch(t, []string{bin, "-out", "n", "-rounds", "8", "-period", "0s"}, dir,
		proc.OutputRedirect{Path: stdout}, proc.OutputRedirect{Path: filepath.Join(dir, "stderr")})
	breakForChildren(t, grp, 5)
	for i := 0; ; i++ {
		err := grp.Continue()
		if _, ok := err.(proc.ErrProcessExited); ok {
			if st := err.(proc.ErrProcessExited).Status; st != 0 {
				t.Fatalf("forker exited with status %d", st)
			}
			break
		}
		if err != nil {
			t.Fatalf("continue: %v", err)
		}
		if i > 10 {
			t.Fatalf("forker did not exit after its 8 rounds")
		}
	}
	b, err := os.ReadFile(stdout)
	if err != nil {
		t.Fatal(err)
	}
	execs, forks, bad := forkerChildren(string(b), 1)
	if len(bad) > 0 || execs != 8 || forks != 8 {
		t.Fatalf("%d exec and %d fork children, want 8 each; failed: %q; output:\n%s", execs, forks, bad, b)
	}
}

// A child that asks to be traced by its parent (PTRACE_TRACEME between
// vfork and exec, os/exec's SysProcAttr.Ptrace, as Delve's launch does)
// must be able to: a tracee of ours would get EPERM, and the parent's
// cmd.Start "operation not permitted".
func TestChildTracedByItsParent(t *testing.T) {
	// With a breakpoint in the code the child runs before execve, it is
	// traced until then (system call by system call); without, it is let
	// go at its first stop.
	for _, inPath := range []bool{true, false} {
		t.Run(fmt.Sprintf("breakpoint in the child's path=%v", inPath), func(t *testing.T) {
			job := testprog.Start(t, "forker", "-exec=false", "-fork=false", "-traceme")
			s := jcAttach(t, job)
			from := int(job.Counter()) + 2
			if inPath {
				breakForChildren(t, s.grp, 4)
			} else {
				s.breakAt("main.round")
				for i := 0; i < 4; i++ {
					s.continueAsync().atBreakpoint("main.round")
				}
			}
			if err := s.grp.Detach(false); err != nil {
				t.Fatalf("detach: %v", err)
			}
			waitRounds(t, job, job.Counter()+2)
			var lines []string
			for _, l := range strings.Split(job.Output(), "\n") {
				if m := childLine.FindStringSubmatch(l); m != nil && m[1] == "traceme" {
					if n, _ := strconv.Atoi(m[2]); n >= from {
						lines = append(lines, l)
						if m[3] != "exit 0" {
							t.Errorf("child traced by its parent: %q", l)
						}
					}
				}
			}
			if len(lines) < 4 {
				t.Fatalf("only %d traced children checked: %q", len(lines), lines)
			}
		})
	}
}
