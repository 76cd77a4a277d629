package backend_test

import (
	"bytes"
	"debug/elf"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/go-delve/delve/pkg/proc"

	"github.com/dlv-listen/dlv-listen/backend"
	"github.com/dlv-listen/dlv-listen/internal/testprog"
)

var loadAll = proc.LoadConfig{FollowPointers: true, MaxVariableRecurse: 1, MaxStringLen: 64, MaxArrayValues: 64, MaxStructFields: -1}

var proc0 proc.OutputRedirect

func TestMain(m *testing.M) {
	if os.Getenv(backend.MainThreadEnv) != "" {
		if err := backend.OwnThreadFromMain(); err != nil {
			fmt.Println(err)
			os.Exit(1)
		}
		fmt.Println("ok")
		os.Exit(0)
	}
	if os.Getenv(attachAsNobodyEnv) != "" {
		attachAsNobody()
		return
	}
	code := m.Run()
	testprog.RemoveBuilds()
	os.Exit(code)
}

// attach attaches our backend to pid and detaches at cleanup if the test
// did not.
func attach(t testing.TB, pid int) *proc.TargetGroup {
	t.Helper()
	grp, err := backend.Attach(pid, nil, nil)
	if err != nil {
		t.Fatalf("attach %d: %v", pid, err)
	}
	t.Cleanup(func() {
		if ok, _ := grp.Valid(); ok {
			_ = grp.Detach(false)
		}
	})
	return grp
}

// continueAsync starts Continue in a goroutine and returns once the
// process runs; the channel yields Continue's result.
func continueAsync(grp *proc.TargetGroup) <-chan error {
	done := make(chan error, 1)
	resumed := make(chan struct{})
	grp.ResumeNotify(resumed)
	go func() { done <- grp.Continue() }()
	<-resumed
	return done
}

// haltAndWait halts a Continue started by continueAsync and returns its
// result.
func haltAndWait(t testing.TB, grp *proc.TargetGroup, done <-chan error) error {
	t.Helper()
	if err := grp.RequestManualStop(); err != nil {
		t.Fatal(err)
	}
	return <-done
}

func breakAt(t testing.TB, tgt *proc.Target, fn string) *proc.Breakpoint {
	t.Helper()
	addrs, err := proc.FindFunctionLocation(tgt, fn, 0)
	if err != nil {
		t.Fatalf("find %s: %v", fn, err)
	}
	bp, err := tgt.SetBreakpoint(len(tgt.Breakpoints().M)+100, addrs[0], proc.UserBreakpoint, nil)
	if err != nil {
		t.Fatalf("breakpoint on %s: %v", fn, err)
	}
	return bp
}

// eval evaluates expr in the current goroutine's top frame.
func eval(t testing.TB, tgt *proc.Target, expr string) *proc.Variable {
	t.Helper()
	scope, err := proc.GoroutineScope(tgt, tgt.CurrentThread())
	if err != nil {
		t.Fatalf("scope: %v", err)
	}
	v, err := scope.EvalExpression(expr, loadAll)
	if err != nil {
		t.Fatalf("eval %s: %v", expr, err)
	}
	if v.Unreadable != nil {
		t.Fatalf("eval %s: unreadable: %v", expr, v.Unreadable)
	}
	return v
}

func evalInt(t testing.TB, tgt *proc.Target, expr string) int64 {
	t.Helper()
	v := eval(t, tgt, expr)
	var n int64
	if _, err := fmt.Sscan(v.Value.String(), &n); err != nil {
		t.Fatalf("eval %s: %v is not an int", expr, v.Value)
	}
	return n
}

func evalString(t testing.TB, tgt *proc.Target, expr string) string {
	t.Helper()
	v := eval(t, tgt, expr)
	return strings.Trim(v.Value.ExactString(), `"`)
}

func location(t testing.TB, tgt *proc.Target) *proc.Location {
	t.Helper()
	loc, err := proc.ThreadLocation(tgt.CurrentThread())
	if err != nil {
		t.Fatalf("location: %v", err)
	}
	return loc
}

func wantLocation(t testing.TB, tgt *proc.Target, fn string, line int) {
	t.Helper()
	loc := location(t, tgt)
	if loc.Fn == nil || loc.Fn.Name != fn || (line != 0 && loc.Line != line) {
		name := "?"
		if loc.Fn != nil {
			name = loc.Fn.Name
		}
		t.Fatalf("stopped at %s:%d (%s), want %s line %d", loc.File, loc.Line, name, fn, line)
	}
}

// stackNames are the function names of g's stack, innermost first.
func stackNames(t testing.TB, tgt *proc.Target, g *proc.G) []string {
	t.Helper()
	frames, err := proc.GoroutineStacktrace(tgt, g, 30, 0)
	if err != nil {
		t.Fatalf("stack of goroutine %d: %v", g.ID, err)
	}
	var names []string
	for _, f := range frames {
		if f.Call.Fn != nil {
			names = append(names, f.Call.Fn.Name)
		}
	}
	return names
}

// textAt reads size bytes at addr from the executable file itself.
func textAt(t testing.TB, exe string, addr uint64, size int) []byte {
	t.Helper()
	f, err := elf.Open(exe)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, s := range f.Sections {
		if s.Type == elf.SHT_PROGBITS && addr >= s.Addr && addr+uint64(size) <= s.Addr+s.Size {
			buf := make([]byte, size)
			if _, err := s.ReadAt(buf, int64(addr-s.Addr)); err != nil {
				t.Fatal(err)
			}
			return buf
		}
	}
	t.Fatalf("%#x is in no section of %s", addr, exe)
	return nil
}

func memAt(t testing.TB, pid int, addr uint64, size int) []byte {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/mem", pid))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, size)
	if _, err := f.ReadAt(buf, int64(addr)); err != nil {
		t.Fatalf("read memory of %d at %#x: %v", pid, addr, err)
	}
	return buf
}

// Scenario 1: attach to a running multi-threaded program, 20 breakpoint
// hits with correct arguments, goroutines, stacks, next/step/stepout,
// locals, detach: the program runs on to a clean exit and no byte of a
// breakpoint is left in its text.
func TestAttachBreakpointsInspectDetach(t *testing.T) {
	// 3 s of life: an attach under load (or -race) can take over 1 s.
	job := testprog.Start(t, "counter", "-workers", "4", "-iterations", "3000")
	grp := attach(t, job.Pid)
	tgt := grp.Selected
	if n := len(tgt.ThreadList()); n < 5 {
		t.Fatalf("process %d has %d threads, want at least 5", job.Pid, n)
	}
	bp := breakAt(t, tgt, "main.tick")

	var last int64
	for i := 0; i < 20; i++ {
		if err := grp.Continue(); err != nil {
			t.Fatalf("continue %d: %v", i, err)
		}
		if tgt.StopReason != proc.StopBreakpoint {
			t.Fatalf("hit %d: stop reason %v", i, tgt.StopReason)
		}
		if cur := tgt.CurrentThread().Breakpoint().Breakpoint; cur == nil || cur.Addr != bp.Addr {
			t.Fatalf("hit %d: current breakpoint %v, want %#x", i, cur, bp.Addr)
		}
		n := evalInt(t, tgt, "n")
		if i > 0 && n != last+1 {
			t.Fatalf("hit %d: n = %d, want %d", i, n, last+1)
		}
		last = n
		if l := evalString(t, tgt, "label"); l != "tick" {
			t.Fatalf("hit %d: label = %q", i, l)
		}
	}
	if hits := bp.Logical.TotalHitCount; hits != 20 {
		t.Fatalf("breakpoint hit count %d, want 20", hits)
	}

	gs, _, err := proc.GoroutinesInfo(tgt, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	workers := 0
	for _, g := range gs {
		if names := stackNames(t, tgt, g); len(names) > 0 && strings.Contains(strings.Join(names, " "), "main.worker") {
			workers++
		}
	}
	if workers != 4 {
		t.Fatalf("%d goroutines run main.worker, want 4 (of %d goroutines)", workers, len(gs))
	}
	sel := tgt.SelectedGoroutine()
	if sel == nil {
		t.Fatal("no selected goroutine")
	}
	if names := stackNames(t, tgt, sel); len(names) < 3 || names[0] != "main.tick" || names[1] != "main.main" || names[2] != "runtime.main" {
		t.Fatalf("stack of goroutine %d: %v", sel.ID, names)
	}

	// next until the locals are assigned.
	wantLocation(t, tgt, "main.tick", 24)
	for _, line := range []int{25, 26, 27} {
		if err := grp.Next(); err != nil {
			t.Fatal(err)
		}
		wantLocation(t, tgt, "main.tick", line)
	}
	if d := evalInt(t, tgt, "doubled"); d != 2*last {
		t.Fatalf("doubled = %d, want %d", d, 2*last)
	}
	if m := evalString(t, tgt, "msg"); m != fmt.Sprintf("tick-%d", last) {
		t.Fatalf("msg = %q", m)
	}
	// step into helper, step out, next: its result is in h.
	if err := grp.Step(); err != nil {
		t.Fatal(err)
	}
	wantLocation(t, tgt, "main.helper", 0)
	if x := evalInt(t, tgt, "x"); x != 2*last {
		t.Fatalf("helper's x = %d, want %d", x, 2*last)
	}
	if err := grp.StepOut(); err != nil {
		t.Fatal(err)
	}
	wantLocation(t, tgt, "main.tick", 27)
	if err := grp.Next(); err != nil {
		t.Fatal(err)
	}
	wantLocation(t, tgt, "main.tick", 28)
	if h := evalInt(t, tgt, "h"); h != 3*(2*last+1) {
		t.Fatalf("h = %d, want %d", h, 3*(2*last+1))
	}

	// The program ends 400 ticks from now however slowly this machine runs
	// it (an emulated one is 20 times slower): main's -iterations flag is
	// changed in the program. (50 ticks once ended it before the check
	// below read its memory.)
	mainScope, err := proc.ConvertEvalScope(tgt, tgt.SelectedGoroutine().ID, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := mainScope.SetVariable("*iterations", fmt.Sprint(last+400)); err != nil {
		t.Fatalf("set *iterations: %v", err)
	}

	// Every address that ever held a breakpoint, internal ones included.
	var addrs []uint64
	for addr, b := range tgt.Breakpoints().M {
		if b.WatchType == 0 {
			addrs = append(addrs, addr)
		}
	}
	if err := grp.Detach(false); err != nil {
		t.Fatal(err)
	}
	if _, tracer, _ := testprog.ProcStat(job.Pid); tracer != 0 {
		t.Fatalf("process %d still traced by %d after detach", job.Pid, tracer)
	}
	for _, addr := range addrs {
		want := textAt(t, job.Bin, addr, len(breakInstr))
		if got := memAt(t, job.Pid, addr, len(breakInstr)); !bytes.Equal(got, want) {
			t.Errorf("byte at former breakpoint %#x is %x, the executable has %x", addr, got, want)
		}
	}
	if got := job.WaitExit(t, 30*time.Second); got != "exited 0" {
		t.Fatalf("after detach the program ended with %q, want exited 0", got)
	}
}

// Hardware watchpoint, function call injection and floating point registers.
func TestWatchpointCallRegisters(t *testing.T) {
	job := testprog.Start(t, "counter")
	grp := attach(t, job.Pid)
	tgt := grp.Selected
	breakAt(t, tgt, "main.tick")
	if err := grp.Continue(); err != nil {
		t.Fatal(err)
	}
	// The call is made one line into main.tick: the runtime accepts a call
	// only at a safe point, judged at pc-1, which right after the prologue
	// lies in arm64's frame setup, an unsafe point.
	if err := grp.Next(); err != nil {
		t.Fatal(err)
	}
	wantLocation(t, tgt, "main.tick", 25)
	n := evalInt(t, tgt, "n")

	// call main.helper(n) in the debuggee.
	if err := proc.EvalExpressionWithCalls(grp, tgt.SelectedGoroutine(), "main.helper(5)", loadAll, true); err != nil {
		t.Fatalf("call main.helper(5): %v", err)
	}
	rets := tgt.CurrentThread().Common().ReturnValues(loadAll)
	if len(rets) != 1 || rets[0].Value == nil || rets[0].Value.String() != "18" {
		t.Fatalf("main.helper(5) returned %v, want 18", rets)
	}
	wantLocation(t, tgt, "main.tick", 25)
	if n2 := evalInt(t, tgt, "n"); n2 != n {
		t.Fatalf("after the call n = %d, want %d", n2, n)
	}

	// Floating point registers are readable.
	regs, err := tgt.CurrentThread().Registers()
	if err != nil {
		t.Fatal(err)
	}
	all, err := regs.Slice(true)
	if err != nil {
		t.Fatal(err)
	}
	var hasVector bool
	for _, r := range all {
		hasVector = hasVector || r.Name == firstVectorRegister
	}
	if !hasVector {
		t.Fatalf("no %s among %d registers", firstVectorRegister, len(all))
	}

	// Watch main.sink: main writes it after every tick.
	testprog.RequireHardwareWatchpoints(t)
	for _, b := range tgt.Breakpoints().M {
		if b.Logical != nil && b.Logical.LogicalID >= 100 {
			if err := tgt.ClearBreakpoint(b.Addr); err != nil {
				t.Fatal(err)
			}
		}
	}
	scope, err := proc.GoroutineScope(tgt, tgt.CurrentThread())
	if err != nil {
		t.Fatal(err)
	}
	wp, err := tgt.SetWatchpoint(200, scope, "main.sink", proc.WatchWrite, nil)
	if err != nil {
		t.Fatalf("watch main.sink: %v", err)
	}
	for i := 0; i < 3; i++ {
		if err := grp.Continue(); err != nil {
			t.Fatal(err)
		}
		if tgt.StopReason != proc.StopWatchpoint {
			t.Fatalf("stop %d: reason %v, want watchpoint", i, tgt.StopReason)
		}
		if cur := tgt.CurrentThread().Breakpoint().Breakpoint; cur == nil || cur.Addr != wp.Addr {
			t.Fatalf("stop %d: current breakpoint %v, want the watchpoint", i, cur)
		}
	}
	if err := grp.Detach(false); err != nil {
		t.Fatal(err)
	}
	// Debug registers were cleared: a leftover watchpoint would kill the
	// untraced program with SIGTRAP.
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("program output:\n%s", job.Output())
		}
	})
	job.WaitAdvance(t, 5*time.Second)
	job.WaitAdvance(t, 5*time.Second)
	if st := job.State(); st == 0 || st == 'Z' {
		t.Fatalf("program died after detach (state %q)", st)
	}
}
