//go:build linux

package dap

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-dap"

	"github.com/dlv-listen/dlv-listen/internal/procguard"
	"github.com/dlv-listen/dlv-listen/internal/testprog"
	"github.com/dlv-listen/dlv-listen/service/debugger"
)

// childprog builds testdata/childprog, the program spawner's children
// exec in these tests, and returns its binary and the path and line of
// its breakpoint marker.
func childprog(t *testing.T) (bin, src string, line int) {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skipf("childprog is built with the go command: %v", err)
	}
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "testdata", "childprog")
	bin = filepath.Join(t.TempDir(), "childprog")
	if err := debugger.Build(dir, bin, false, "", ""); err != nil {
		t.Fatal(err)
	}
	src = filepath.Join(dir, "main.go")
	return bin, src, markerLine(t, src, "childprog: breakpoint")
}

// childLines returns spawner's "child N pid P exit S" lines in out.
var childLineRe = regexp.MustCompile(`(?m)^child (\d+) (pid \d+ )?(exit|signal|error|status) (.*)$`)

// TestFollowExecLaunch: launch spawner with followExec; its children exec
// childprog, a program the parent does not have. A breakpoint in
// childprog's source is unverified until a child has it, then a
// "breakpoint" event verifies it; a "process" event names each child; the
// stop is in the child, on a thread id of its own, with its stack and
// variables; continue goes on, and the parent exits normally with every
// child exited with status 3.
func TestFollowExecLaunch(t *testing.T) {
	childBin, childSrc, childLine := childprog(t)
	spawner := testprog.Build(t, "spawner")
	dir := t.TempDir()
	stdout := filepath.Join(dir, "stdout")
	const rounds = 2

	tc := newTestClient(t)
	tc.initialize()
	tc.LaunchRequestWithArgs(map[string]any{
		"request": "launch", "mode": "exec", "program": spawner, "followExec": true,
		"args":     []string{"-out", filepath.Join(dir, "counter"), "-rounds", itoa(rounds), "-period", "1ms", "-exec", childBin, "x", "y"},
		"stdoutTo": stdout,
	})
	parent := expect[*dap.ProcessEvent](tc, startTimeout).Body.SystemProcessId
	killAtEnd(t, parent)
	expect[*dap.InitializedEvent](tc, timeout)
	expect[*dap.LaunchResponse](tc, timeout)

	tc.SetBreakpointsRequest(childSrc, []int{childLine})
	bps := expect[*dap.SetBreakpointsResponse](tc, timeout).Body.Breakpoints
	if len(bps) != 1 || bps[0].Verified || bps[0].Id == 0 || bps[0].Message != "unable to set breakpoint" {
		t.Fatalf("breakpoint in the child's source before any child: %+v, want unverified, an id, \"unable to set breakpoint\"", bps)
	}
	bpID := bps[0].Id
	tc.ConfigurationDoneRequest()
	expect[*dap.ConfigurationDoneResponse](tc, timeout)

	stop := expectEvent[*dap.StoppedEvent](tc, startTimeout)
	if stop.Body.Reason != "breakpoint" || len(stop.Body.HitBreakpointIds) != 1 || stop.Body.HitBreakpointIds[0] != bpID {
		t.Fatalf("stopped %+v, want at breakpoint %d", stop.Body, bpID)
	}
	if stop.Body.ThreadId < childThreadBase {
		t.Errorf("stopped on thread %d: a child's goroutine has an id from %d", stop.Body.ThreadId, childThreadBase)
	}
	// The child and the breakpoint were announced (their events may come
	// just after the stop: the session delivers them on its own goroutine).
	child := expectEvent[*dap.ProcessEvent](tc, timeout).Body
	killAtEnd(t, child.SystemProcessId)
	if child.SystemProcessId == parent || !strings.Contains(child.Name, childBin) {
		t.Errorf("process event %+v, want the child running %s", child, childBin)
	}
	bpEv := expectEvent[*dap.BreakpointEvent](tc, timeout).Body
	if bpEv.Reason != "changed" || !bpEv.Breakpoint.Verified || bpEv.Breakpoint.Id != bpID || bpEv.Breakpoint.Line != childLine ||
		bpEv.Breakpoint.Source == nil || bpEv.Breakpoint.Source.Path != childSrc {
		t.Errorf("breakpoint event %+v, want changed, verified, id %d at %s:%d", bpEv, bpID, childSrc, childLine)
	}

	// threads: the parent's and the child's goroutines, named by pid, the
	// stopped one among them.
	tc.ThreadsRequest()
	threads := expect[*dap.ThreadsResponse](tc, timeout).Body.Threads
	var names []string
	found, parentGs := false, 0
	for _, th := range threads {
		names = append(names, th.Name)
		if th.Id == stop.Body.ThreadId {
			found = strings.Contains(th.Name, "[pid "+itoa(child.SystemProcessId)+"]")
		}
		if strings.Contains(th.Name, "[pid "+itoa(parent)+"]") {
			parentGs++
		}
	}
	if !found || parentGs == 0 {
		t.Fatalf("threads %q: want the stopped thread %d named [pid %d] and the parent's goroutines", names, stop.Body.ThreadId, child.SystemProcessId)
	}

	top := tc.topFrame(stop.Body.ThreadId)
	if top.Name != "main.onlyInChild" || top.Line != childLine || top.Source == nil || top.Source.Path != childSrc {
		t.Fatalf("top frame %s %+v:%d, want main.onlyInChild at %s:%d", top.Name, top.Source, top.Line, childSrc, childLine)
	}
	tc.ScopesRequest(top.Id)
	sc := expect[*dap.ScopesResponse](tc, timeout)
	vars := tc.variables(sc.Body.Scopes[0].VariablesReference)
	// childprog x y: onlyInChild(len(os.Args)) = onlyInChild(3).
	if vars["n"].Value != "3" {
		t.Errorf("n in the child = %q, want 3 (%+v)", vars["n"].Value, vars)
	}
	if ev := tc.evaluate("n*2", top.Id); ev.Body.Result != "6" {
		t.Errorf("evaluate n*2 in the child = %q, want 6", ev.Body.Result)
	}
	// The parent's main goroutine (thread id 1, its goroutine id) is still
	// the parent's: main.main is in its stack.
	tc.StackTraceRequest(1, 0, 50)
	var parentFns []string
	for _, f := range expect[*dap.StackTraceResponse](tc, timeout).Body.StackFrames {
		parentFns = append(parentFns, f.Name)
	}
	if !strings.Contains(strings.Join(parentFns, " "), "main.main") {
		t.Errorf("stack of the parent's goroutine 1: %q, want main.main in it", parentFns)
	}

	// next in the child: it steps there, on the same thread; then select
	// the child again (the parent's stack above selected the parent).
	tc.NextRequest(stop.Body.ThreadId)
	expect[*dap.NextResponse](tc, timeout)
	if st := expectEvent[*dap.StoppedEvent](tc, timeout); st.Body.Reason != "step" || st.Body.ThreadId != stop.Body.ThreadId {
		t.Fatalf("after next in the child: stopped %+v, want a step on thread %d", st.Body, stop.Body.ThreadId)
	}
	if top := tc.topFrame(stop.Body.ThreadId); top.Name != "main.onlyInChild" || top.Line != childLine+1 {
		t.Fatalf("after next in the child at %s:%d, want main.onlyInChild:%d", top.Name, top.Line, childLine+1)
	}

	// Continue through every child's stop to the end.
	for {
		tc.ContinueRequest(stop.Body.ThreadId)
		expect[*dap.ContinueResponse](tc, timeout)
		m := tc.waitStopOrExit()
		if ex, ok := m.(*dap.ExitedEvent); ok {
			if ex.Body.ExitCode != 0 {
				t.Errorf("parent exited with %d, want 0", ex.Body.ExitCode)
			}
			break
		}
		stop = m.(*dap.StoppedEvent)
		if top := tc.topFrame(stop.Body.ThreadId); top.Name != "main.onlyInChild" {
			t.Fatalf("stopped in %s, want main.onlyInChild", top.Name)
		}
	}
	expectEvent[*dap.TerminatedEvent](tc, timeout)
	out, _ := os.ReadFile(stdout)
	lines := childLineRe.FindAllStringSubmatch(string(out), -1)
	if len(lines) != rounds {
		t.Fatalf("spawner output %q: want %d child lines", out, rounds)
	}
	for _, l := range lines {
		if l[3] != "exit" || l[4] != "3" {
			t.Errorf("child %s: %s %s, want exit 3", l[1], l[3], l[4])
		}
	}
	tc.DisconnectRequest()
	expect[*dap.DisconnectResponse](tc, timeout)
}

// waitStopOrExit reads until a stopped or an exited event.
func (tc *testClient) waitStopOrExit() dap.Message {
	tc.t.Helper()
	deadline := time.Now().Add(startTimeout)
	for {
		for i, m := range tc.seen {
			switch m.(type) {
			case *dap.StoppedEvent, *dap.ExitedEvent:
				tc.seen = append(tc.seen[:i:i], tc.seen[i+1:]...)
				return m
			}
		}
		m := tc.read(time.Until(deadline))
		switch m := m.(type) {
		case *dap.StoppedEvent, *dap.ExitedEvent:
			return m
		case *dap.ErrorResponse:
			tc.t.Fatalf("error response to %s: %s", m.Command, m.Body.Error.Format)
		case dap.EventMessage:
			tc.seen = append(tc.seen, m)
		}
	}
}

// TestFollowExecBadRegex: an invalid followExecRegex fails the launch and
// the attach with one line naming the regex, before any process is
// started or touched.
func TestFollowExecBadRegex(t *testing.T) {
	spawner := testprog.Build(t, "spawner")
	const bad = "child(["
	check := func(er *dap.ErrorResponse) {
		t.Helper()
		msg := er.Body.Error.Format
		if !strings.Contains(msg, `"`+bad+`"`) || !strings.Contains(msg, "followExecRegex") || strings.Contains(msg, "\n") {
			t.Errorf("error %q: want one line naming followExecRegex %q", msg, bad)
		}
	}

	tc := newTestClient(t)
	tc.initialize()
	tc.LaunchRequestWithArgs(map[string]any{"request": "launch", "mode": "exec", "program": spawner, "followExec": true, "followExecRegex": bad,
		"args": []string{"-out", filepath.Join(t.TempDir(), "counter")}})
	check(expect[*dap.ErrorResponse](tc, startTimeout))
	if pe := seenOf[*dap.ProcessEvent](tc); len(pe) != 0 {
		t.Errorf("a process was started: %+v", pe)
	}

	job := testprog.Start(t, "spawner", "-period", "5ms")
	tc2 := newTestClient(t)
	tc2.initialize()
	tc2.AttachRequest(map[string]any{"request": "attach", "mode": "local", "processId": job.Pid, "followExec": true, "followExecRegex": bad})
	check(expect[*dap.ErrorResponse](tc2, startTimeout))
	status, _ := os.ReadFile("/proc/" + itoa(job.Pid) + "/status")
	if !strings.Contains(string(status), "TracerPid:\t0\n") {
		t.Errorf("the process was touched:\n%s", status)
	}
	job.WaitAdvance(t, timeout)
}

// TestFollowExecAttach: attach to a running spawner with followExec (dlv
// answers "Follow exec not supported in attach request yet"): a function
// breakpoint on childprog's main.onlyInChild, which no process has yet,
// stops in a child; disconnect lets every process go, and the children
// started since run to their end (status 3: no breakpoint left in any).
func TestFollowExecAttach(t *testing.T) {
	childBin, _, childLine := childprog(t)
	job := testprog.Start(t, "spawner", "-period", "20ms", "-exec", childBin, "x", "y")

	tc := newTestClient(t)
	tc.initialize()
	tc.AttachRequest(map[string]any{"request": "attach", "mode": "local", "processId": job.Pid, "followExec": true, "followExecRegex": "childprog"})
	expectEvent[*dap.CapabilitiesEvent](tc, startTimeout)
	expect[*dap.AttachResponse](tc, startTimeout)
	for _, o := range seenOf[*dap.OutputEvent](tc) {
		if strings.Contains(o.Body.Output, "not supported") {
			t.Errorf("attach said %q", o.Body.Output)
		}
	}
	tc.SetFunctionBreakpointsRequest([]dap.FunctionBreakpoint{{Name: "main.onlyInChild"}})
	bps := expect[*dap.SetFunctionBreakpointsResponse](tc, timeout).Body.Breakpoints
	if len(bps) != 1 || bps[0].Verified || bps[0].Id == 0 {
		t.Fatalf("function breakpoint no process has: %+v, want unverified with an id", bps)
	}
	tc.ConfigurationDoneRequest()
	expect[*dap.ConfigurationDoneResponse](tc, timeout)
	stop := expectEvent[*dap.StoppedEvent](tc, startTimeout)
	if stop.Body.Reason != "function breakpoint" || stop.Body.ThreadId < childThreadBase {
		t.Fatalf("stopped %+v, want at the function breakpoint in a child", stop.Body)
	}
	child := expectEvent[*dap.ProcessEvent](tc, timeout).Body.SystemProcessId
	killAtEnd(t, child)
	if top := tc.topFrame(stop.Body.ThreadId); top.Name != "main.onlyInChild" || top.Line > childLine {
		t.Fatalf("top frame %s:%d, want main.onlyInChild before line %d", top.Name, top.Line, childLine)
	}
	before := len(childLineRe.FindAllString(job.Output(), -1))
	tc.DisconnectRequest()
	expect[*dap.DisconnectResponse](tc, timeout)
	expectEvent[*dap.TerminatedEvent](tc, timeout)

	// The child stopped at the breakpoint and those after it end with 3.
	deadline := time.Now().Add(timeout)
	for {
		lines := childLineRe.FindAllStringSubmatch(job.Output(), -1)
		if len(lines) >= before+3 {
			for _, l := range lines[before:] {
				if l[3] != "exit" || l[4] != "3" {
					t.Errorf("child %s after the detach: %s %s, want exit 3", l[1], l[3], l[4])
				}
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("children after the detach: %q", lines[before:])
		}
		time.Sleep(10 * time.Millisecond)
	}
	status, _ := os.ReadFile("/proc/" + itoa(job.Pid) + "/status")
	if !strings.Contains(string(status), "TracerPid:\t0\n") {
		t.Errorf("the parent is still traced after disconnect:\n%s", status)
	}
}

// startPipeline starts `pipeline produce | pipeline consume` as a job of
// its own (one process group, the producer its leader) and returns both
// pids and counter files. A cleanup kills the group and reaps both.
func startPipeline(t *testing.T) (produce, consume int, produceOut, consumeOut string) {
	t.Helper()
	bin := testprog.Build(t, "pipeline")
	dir := t.TempDir()
	produceOut, consumeOut = filepath.Join(dir, "produced"), filepath.Join(dir, "consumed")
	p := exec.Command(bin, "produce", "-out", produceOut, "-period", "5ms")
	p.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	pipe, err := p.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := procguard.Start(p); err != nil {
		t.Fatal(err)
	}
	unwatch, _ := procguard.Watch(procguard.Group, p.Process.Pid)
	c := exec.Command(bin, "consume", "-out", consumeOut)
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pgid: p.Process.Pid}
	c.Stdin = pipe
	err = procguard.Start(c)
	t.Cleanup(func() {
		_ = syscall.Kill(-p.Process.Pid, syscall.SIGKILL)
		_ = p.Wait()
		if c.Process != nil {
			_ = c.Wait()
		}
		unwatch()
	})
	if err != nil {
		t.Fatal(err)
	}
	waitAdvance(t, consumeOut, 0)
	return p.Process.Pid, c.Process.Pid, produceOut, consumeOut
}

// TestAttachJob: an attach with "job": true takes both processes of a
// pipeline (a "process" event each); a pause shows the goroutines of both,
// named by pid; a job-control stop of the whole job is an output event per
// process and one for the job, and so is its end; disconnect lets both go
// on, untraced.
func TestAttachJob(t *testing.T) {
	produce, consume, produceOut, consumeOut := startPipeline(t)
	pgid := produce

	tc := newTestClient(t)
	tc.initialize()
	tc.AttachRequest(map[string]any{"request": "attach", "mode": "local", "processId": produce, "job": true})
	expectEvent[*dap.CapabilitiesEvent](tc, startTimeout)
	expect[*dap.AttachResponse](tc, startTimeout)
	announced := map[int]bool{}
	for _, pe := range seenOf[*dap.ProcessEvent](tc) {
		announced[pe.Body.SystemProcessId] = true
	}
	if !announced[produce] || !announced[consume] {
		t.Errorf("process events for %v, want %d and %d", announced, produce, consume)
	}
	tc.ConfigurationDoneRequest()
	expect[*dap.ConfigurationDoneResponse](tc, timeout)
	waitAdvance(t, consumeOut, counter(t, consumeOut))

	tc.PauseRequest(1)
	expect[*dap.PauseResponse](tc, timeout)
	expectEvent[*dap.StoppedEvent](tc, timeout)
	tc.ThreadsRequest()
	seen := map[int]bool{}
	for _, th := range expect[*dap.ThreadsResponse](tc, timeout).Body.Threads {
		for _, pid := range []int{produce, consume} {
			if strings.Contains(th.Name, "[pid "+itoa(pid)+"]") {
				seen[pid] = true
				if f := tc.topFrame(th.Id); f.Name == "" {
					t.Errorf("thread %q: no stack", th.Name)
				}
			}
		}
	}
	if !seen[produce] || !seen[consume] {
		t.Fatalf("threads of %v, want the goroutines of %d and %d", seen, produce, consume)
	}
	tc.ContinueRequest(1)
	expect[*dap.ContinueResponse](tc, timeout)

	// SIGSTOP (not SIGTSTP, which the kernel may discard for a group it
	// deems orphaned) to the whole job, then SIGCONT.
	if err := syscall.Kill(-pgid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	tc.expectOutputs(timeout, "process "+itoa(produce)+" stopped by SIGSTOP", "process "+itoa(consume)+" stopped by SIGSTOP", "job "+itoa(pgid)+" stopped")
	assertFrozen(t, produceOut)
	if err := syscall.Kill(-pgid, syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	tc.expectOutputs(timeout, "process "+itoa(produce)+" continued", "process "+itoa(consume)+" continued", "job "+itoa(pgid)+" continued")
	waitAdvance(t, consumeOut, counter(t, consumeOut))

	tc.disconnectUntraced(produce, consume)
	waitAdvance(t, produceOut, counter(t, produceOut))
	waitAdvance(t, consumeOut, counter(t, consumeOut))
}

// TestFollowExecChildJobControl: a followed child's job-control stop and
// its end are output events naming the child (and the custom event, asked
// for, carries its pid), while the parent waits for it; the child then
// ends normally.
func TestFollowExecChildJobControl(t *testing.T) {
	childBin, _, _ := childprog(t)
	spawner := testprog.Build(t, "spawner")
	dir := t.TempDir()
	release := filepath.Join(dir, "release")
	stdout := filepath.Join(dir, "stdout")

	tc := newTestClient(t)
	tc.initialize()
	tc.LaunchRequestWithArgs(map[string]any{
		"request": "launch", "mode": "exec", "program": spawner, "followExec": true, "jobControlEvents": true,
		"args":     []string{"-out", filepath.Join(dir, "counter"), "-rounds", "1", "-exec", childBin, "hold", release},
		"stdoutTo": stdout,
	})
	parent := expect[*dap.ProcessEvent](tc, startTimeout).Body.SystemProcessId
	killAtEnd(t, parent)
	expect[*dap.LaunchResponse](tc, timeout)
	tc.ConfigurationDoneRequest()
	expect[*dap.ConfigurationDoneResponse](tc, timeout)
	child := expectEvent[*dap.ProcessEvent](tc, startTimeout).Body.SystemProcessId
	killAtEnd(t, child)

	if err := syscall.Kill(child, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	tc.expectOutput("process "+itoa(child)+" stopped by SIGSTOP", timeout)
	if ev := expectEvent[*jobControlEvent](tc, timeout); ev.Body.Pid != child || ev.Body.State != "stopped" {
		t.Errorf("job-control event %+v, want the child %d stopped", ev.Body, child)
	}
	if err := syscall.Kill(child, syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	tc.expectOutput("process "+itoa(child)+" continued", timeout)
	if ev := expectEvent[*jobControlEvent](tc, timeout); ev.Body.Pid != child || ev.Body.State != "continued" {
		t.Errorf("job-control event %+v, want the child %d continued", ev.Body, child)
	}

	if err := os.WriteFile(release, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if ex := expectEvent[*dap.ExitedEvent](tc, startTimeout); ex.Body.ExitCode != 0 {
		t.Errorf("parent exited with %d, want 0", ex.Body.ExitCode)
	}
	out, _ := os.ReadFile(stdout)
	if l := childLineRe.FindAllStringSubmatch(string(out), -1); len(l) != 1 || l[0][3] != "exit" || l[0][4] != "3" {
		t.Errorf("spawner output %q: want its child exited with 3", out)
	}
	tc.DisconnectRequest()
	expect[*dap.DisconnectResponse](tc, timeout)
}

// TestFollowExecSameBinary: spawner's children run spawner itself, whose
// main.childWork only a child calls. The parent has the function, so the
// function breakpoint is verified at once (not suspended: there is no
// breakpoint event); with follow-exec it is placed by name, so each child
// gets it too, and the stop is in the child, named by its pid.
func TestFollowExecSameBinary(t *testing.T) {
	spawner := testprog.Build(t, "spawner")
	dir := t.TempDir()
	stdout := filepath.Join(dir, "stdout")

	tc := newTestClient(t)
	tc.initialize()
	tc.LaunchRequestWithArgs(map[string]any{
		"request": "launch", "mode": "exec", "program": spawner, "followExec": true, "followExecRegex": "spawner child",
		"args":     []string{"-out", filepath.Join(dir, "counter"), "-rounds", "1"},
		"stdoutTo": stdout,
	})
	parent := expect[*dap.ProcessEvent](tc, startTimeout).Body.SystemProcessId
	killAtEnd(t, parent)
	expect[*dap.LaunchResponse](tc, timeout)
	tc.SetFunctionBreakpointsRequest([]dap.FunctionBreakpoint{{Name: "main.childWork"}})
	if bps := expect[*dap.SetFunctionBreakpointsResponse](tc, timeout).Body.Breakpoints; len(bps) != 1 || !bps[0].Verified {
		t.Fatalf("function breakpoint main.childWork: %+v, want verified (the parent has it)", bps)
	}
	tc.ConfigurationDoneRequest()
	expect[*dap.ConfigurationDoneResponse](tc, timeout)
	stop := expectEvent[*dap.StoppedEvent](tc, startTimeout)
	child := expectEvent[*dap.ProcessEvent](tc, timeout).Body.SystemProcessId
	killAtEnd(t, child)
	if stop.Body.Reason != "function breakpoint" || stop.Body.ThreadId < childThreadBase {
		t.Fatalf("stopped %+v, want at the function breakpoint in the child", stop.Body)
	}
	if top := tc.topFrame(stop.Body.ThreadId); top.Name != "main.childWork" {
		t.Fatalf("stopped in %s, want main.childWork", top.Name)
	}
	tc.EvaluateRequest("dlv target list", 0, "repl")
	list := expect[*dap.EvaluateResponse](tc, timeout).Body.Result
	if !strings.Contains(list, "*\t"+itoa(child)+"\t") || !strings.Contains(list, "\t"+itoa(parent)+"\t") {
		t.Errorf("dlv target list:\n%s\nwant the parent and the child, the child selected", list)
	}
	repl := func(cmd string) string {
		t.Helper()
		tc.EvaluateRequest(cmd, 0, "repl")
		return expect[*dap.EvaluateResponse](tc, timeout).Body.Result
	}
	if got := repl("dlv target follow-exec"); got != "Follow exec mode is enabled" {
		t.Errorf("dlv target follow-exec: %q", got)
	}
	tc.EvaluateRequest("dlv target follow-exec -on child([", 0, "repl")
	if er := expect[*dap.ErrorResponse](tc, timeout); !strings.Contains(er.Body.Error.Format, `"child(["`) {
		t.Errorf("dlv target follow-exec with a bad regex: %q, want the regex named", er.Body.Error.Format)
	}
	repl("dlv target switch " + itoa(parent))
	if list := repl("dlv target list"); !strings.Contains(list, "*\t"+itoa(parent)+"\t") {
		t.Errorf("dlv target list after switching to the parent:\n%s", list)
	}
	tc.ContinueRequest(stop.Body.ThreadId)
	expect[*dap.ContinueResponse](tc, timeout)
	if m, ok := tc.waitStopOrExit().(*dap.ExitedEvent); !ok || m.Body.ExitCode != 0 {
		t.Fatalf("after continue: %+v, want the parent's exit with 0", m)
	}
	for _, bp := range seenOf[*dap.BreakpointEvent](tc) {
		t.Errorf("breakpoint event %+v for a breakpoint that was never suspended", bp.Body)
	}
	out, _ := os.ReadFile(stdout)
	if l := childLineRe.FindAllStringSubmatch(string(out), -1); len(l) != 1 || l[0][3] != "exit" || l[0][4] != "3" {
		t.Errorf("spawner output %q: want its child exited with 3", out)
	}
	tc.DisconnectRequest()
	expect[*dap.DisconnectResponse](tc, timeout)
}

// expectOutputs reads until an output event holding each of subs has
// come, in any order (those already read count).
func (tc *testClient) expectOutputs(d time.Duration, subs ...string) {
	tc.t.Helper()
	deadline := time.Now().Add(d)
	for _, sub := range subs {
		tc.expectOutput(sub, time.Until(deadline))
	}
}

// TestAttachJobBadPid: a whole-job attach to a pid that does not exist
// fails with one line naming the pid.
func TestAttachJobBadPid(t *testing.T) {
	cmd := exec.Command("true")
	if err := procguard.Start(cmd); err != nil {
		t.Fatal(err)
	}
	gone := cmd.Process.Pid
	_ = cmd.Wait()
	tc := newTestClient(t)
	tc.initialize()
	tc.AttachRequest(map[string]any{"request": "attach", "mode": "local", "processId": gone, "job": true})
	msg := expect[*dap.ErrorResponse](tc, startTimeout).Body.Error.Format
	if !strings.Contains(msg, itoa(gone)) || strings.Contains(msg, "\n") {
		t.Errorf("job attach to the gone pid %d: %q, want one line naming it", gone, msg)
	}
	t.Logf("%s", msg)
}

// TestFollowExecManyChildren: 20 children, each followed and stopped once
// at a breakpoint in its own code: one "process" event and one stop per
// child (none lost, none doubled), each on a thread id of its own, and
// every child exits with 3.
func TestFollowExecManyChildren(t *testing.T) {
	childBin, childSrc, childLine := childprog(t)
	spawner := testprog.Build(t, "spawner")
	dir := t.TempDir()
	stdout := filepath.Join(dir, "stdout")
	const rounds, per = 10, 2

	tc := newTestClient(t)
	tc.initialize()
	tc.LaunchRequestWithArgs(map[string]any{
		"request": "launch", "mode": "exec", "program": spawner, "followExec": true,
		"args":     []string{"-out", filepath.Join(dir, "counter"), "-rounds", itoa(rounds), "-per", itoa(per), "-period", "1ms", "-exec", childBin},
		"stdoutTo": stdout,
	})
	parent := expect[*dap.ProcessEvent](tc, startTimeout).Body.SystemProcessId
	killAtEnd(t, parent)
	expect[*dap.LaunchResponse](tc, timeout)
	tc.SetBreakpointsRequest(childSrc, []int{childLine})
	expect[*dap.SetBreakpointsResponse](tc, timeout)
	tc.ConfigurationDoneRequest()
	expect[*dap.ConfigurationDoneResponse](tc, timeout)

	threads := map[int]bool{}
	for {
		m := tc.waitStopOrExit()
		if ex, ok := m.(*dap.ExitedEvent); ok {
			if ex.Body.ExitCode != 0 {
				t.Errorf("parent exited with %d", ex.Body.ExitCode)
			}
			break
		}
		stop := m.(*dap.StoppedEvent)
		if stop.Body.Reason != "breakpoint" || threads[stop.Body.ThreadId] {
			t.Fatalf("stop %d: %+v (threads so far %v)", len(threads)+1, stop.Body, threads)
		}
		threads[stop.Body.ThreadId] = true
		tc.ContinueRequest(stop.Body.ThreadId)
		expect[*dap.ContinueResponse](tc, timeout)
	}
	expectEvent[*dap.TerminatedEvent](tc, timeout)
	children := map[int]bool{}
	for _, pe := range seenOf[*dap.ProcessEvent](tc) {
		if children[pe.Body.SystemProcessId] {
			t.Errorf("two process events for %d", pe.Body.SystemProcessId)
		}
		children[pe.Body.SystemProcessId] = true
	}
	if len(threads) != rounds*per || len(children) != rounds*per {
		t.Errorf("%d stops and %d process events, want %d each", len(threads), len(children), rounds*per)
	}
	out, _ := os.ReadFile(stdout)
	lines := childLineRe.FindAllStringSubmatch(string(out), -1)
	if len(lines) != rounds*per {
		t.Fatalf("spawner output %q: want %d child lines", out, rounds*per)
	}
	for _, l := range lines {
		if l[3] != "exit" || l[4] != "3" {
			t.Errorf("child %s: %s %s, want exit 3", l[1], l[3], l[4])
		}
	}
	tc.DisconnectRequest()
	expect[*dap.DisconnectResponse](tc, timeout)
}

// TestAttachJobReportOneProcess: with jobControl "report", a job-control
// stop of one process of an attached job is said (its own output event)
// and the others run on; the session stops only when the whole job has
// (reason pause, naming the job). A pause names the one process stopped;
// while the session is paused a SIGCONT that ends that process's stop is
// learned (output event) though the first process never stopped.
func TestAttachJobReportOneProcess(t *testing.T) {
	produce, consume, produceOut, _ := startPipeline(t)
	pgid := produce

	tc := newTestClient(t)
	tc.initialize()
	tc.AttachRequest(map[string]any{"request": "attach", "mode": "local", "processId": produce, "job": true, "jobControl": "report"})
	expectEvent[*dap.CapabilitiesEvent](tc, startTimeout)
	expect[*dap.AttachResponse](tc, startTimeout)
	tc.ConfigurationDoneRequest()
	expect[*dap.ConfigurationDoneResponse](tc, timeout)

	// The consumer alone: said, and the producer goes on (the pipe holds
	// what it writes meanwhile).
	if err := syscall.Kill(consume, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	tc.expectOutput("process "+itoa(consume)+" stopped by SIGSTOP", timeout)
	from := counter(t, produceOut)
	waitAdvance(t, produceOut, waitAdvance(t, produceOut, from))
	tc.PauseRequest(1)
	expect[*dap.PauseResponse](tc, timeout)
	st := expectEvent[*dap.StoppedEvent](tc, timeout)
	if want := "Paused (process " + itoa(consume) + " job-stopped by SIGSTOP)"; st.Body.Reason != "pause" || st.Body.Description != want {
		t.Fatalf("pause with the consumer job-stopped: %+v, want reason pause, description %q", st.Body, want)
	}
	// Held and shown stopped, the consumer's SIGCONT is learned now.
	if err := syscall.Kill(consume, syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	tc.expectOutput("process "+itoa(consume)+" continued (SIGCONT)", timeout)
	tc.ContinueRequest(1)
	expect[*dap.ContinueResponse](tc, timeout)
	waitAdvance(t, produceOut, counter(t, produceOut))

	// The whole job: the session stops, saying the job.
	if err := syscall.Kill(-pgid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	st = expectEvent[*dap.StoppedEvent](tc, timeout)
	if want := "Paused (job " + itoa(pgid) + " job-stopped by SIGSTOP)"; st.Body.Reason != "pause" || st.Body.Description != want ||
		!strings.Contains(st.Body.Text, "job "+itoa(pgid)+" is stopped by SIGSTOP: all 2 processes") {
		t.Fatalf("the job stopped: %+v, want reason pause, description %q and the job's state", st.Body, want)
	}
	if err := syscall.Kill(-pgid, syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	expectEvent[*dap.ContinuedEvent](tc, timeout)
	waitAdvance(t, produceOut, counter(t, produceOut))

	tc.disconnectUntraced(produce, consume)
	waitAdvance(t, produceOut, counter(t, produceOut))
}

// disconnectUntraced disconnects an attached session and checks that it
// let each of pids go, untraced.
func (tc *testClient) disconnectUntraced(pids ...int) {
	tc.t.Helper()
	tc.DisconnectRequest()
	expect[*dap.DisconnectResponse](tc, timeout)
	expectEvent[*dap.TerminatedEvent](tc, timeout)
	for _, pid := range pids {
		status, _ := os.ReadFile("/proc/" + itoa(pid) + "/status")
		if !strings.Contains(string(status), "TracerPid:\t0\n") {
			tc.t.Errorf("process %d still traced after disconnect:\n%s", pid, status)
		}
	}
}
