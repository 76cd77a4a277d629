package rpc_test

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/go-delve/delve/service/api"

	"github.com/dlv-listen/dlv-listen/internal/testprog"
)

// TestTerminalTargets: Delve's target commands over JSON-RPC, as stock
// dlv's: follow-exec on with a regex; a suspended breakpoint on a function
// only the child's program has (as the terminal makes it when the user
// says yes to "Set a suspended breakpoint?"; a breakpoint the terminal
// resolves in the parent is set by address and, as in stock dlv, stays
// there) stops in a child; target list marks it, target switch selects
// the parent, an unknown pid is one error naming it.
func TestTerminalTargets(t *testing.T) {
	counter := testprog.Build(t, "counter")
	dir := t.TempDir()
	// Each child is a counter that ticks 20 times and exits.
	job := testprog.Start(t, "spawner", "-per", "1", "-exec", counter, "--", "-out", filepath.Join(dir, "child-counter"), "-iterations", "20")
	pgid, _ := syscall.Getpgid(job.Pid)
	t.Cleanup(func() { _ = syscall.Kill(-pgid, syscall.SIGKILL) }) // a counter child between start and end
	s := attach(t, job)
	term, cmds, buf := s.terminal()
	run := func(cmd string) string {
		t.Helper()
		buf.Reset()
		if err := cmds.Call(cmd, term); err != nil {
			t.Fatalf("%s: %v\n%s", cmd, err, buf.String())
		}
		return buf.String()
	}
	if out := run("target follow-exec"); out != "Follow exec is disabled.\n" {
		t.Errorf("target follow-exec: %q", out)
	}
	run("target follow-exec -on  counter ")
	if out := run("target follow-exec"); out != "Follow exec is enabled.\n" {
		t.Errorf("target follow-exec after -on: %q", out)
	}
	bp, err := s.c.CreateBreakpointWithExpr(&api.Breakpoint{}, "main.tick", nil, true)
	if err != nil {
		t.Fatalf("suspended breakpoint: %v", err)
	}
	if out := run("breakpoints"); !strings.Contains(out, fmt.Sprintf("Breakpoint %d (suspended) at main.tick\n", bp.ID)) {
		t.Errorf("breakpoints:\n%s", out)
	}
	cont := run("continue")
	st, err := s.c.GetState()
	if err != nil || st.Pid == job.Pid || st.CurrentThread == nil || st.CurrentThread.Function == nil || st.CurrentThread.Function.Name() != "main.tick" {
		t.Fatalf("after continue: %+v, %v; want a child in main.tick", st, err)
	}
	child := st.Pid
	// As stock dlv's terminal says it, from proc's event.
	if !regexp.MustCompile(fmt.Sprintf(`Spawned new process '\S+counter -out \S+ -iterations 20' \(%d\)`, child)).MatchString(cont) {
		t.Errorf("continue said:\n%s\nwant the spawn of %d", cont, child)
	}
	out := run("target list")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || !regexp.MustCompile(fmt.Sprintf(`(?m)^\*\s+%d\s+\S+counter -out `, child)).MatchString(out) ||
		!regexp.MustCompile(fmt.Sprintf(`(?m)^\s+%d\s`, job.Pid)).MatchString(out) {
		t.Errorf("target list:\n%s\nwant the child %d selected and the parent %d", out, child, job.Pid)
	}
	if v, err := s.c.EvalVariable(currentScope, "label", loadCfg); err != nil || v.Value != "tick" {
		t.Errorf("label in the child: %+v, %v", v, err)
	}
	if out := run("breakpoints"); !regexp.MustCompile(fmt.Sprintf(`Breakpoint %d \(enabled\) at 0x[0-9a-f]+ for main\.tick\(\) \S+counter/main\.go:\d+ \(1\)`, bp.ID)).MatchString(out) {
		t.Errorf("breakpoints once the child has main.tick:\n%s", out)
	}
	run("target switch " + strconv.Itoa(job.Pid))
	if st, err := s.c.GetState(); err != nil || st.Pid != job.Pid {
		t.Errorf("after target switch %d: %+v, %v", job.Pid, st, err)
	}
	buf.Reset()
	if err := cmds.Call("target switch 999999", term); err == nil || err.Error() != "could not find target 999999" {
		t.Errorf("target switch to an unknown pid: %v", err)
	}
	if _, err := s.c.CreateBreakpoint(&api.Breakpoint{Addr: 0x1000, TraceReturn: true}); err == nil || err.Error() != "not implemented for multiple targets" {
		t.Errorf("return tracepoint with two targets: %v", err)
	}
}
