//go:build linux

package integration

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-delve/delve/service/api"
	"golang.org/x/sys/unix"

	"github.com/dlv-listen/dlv-listen/internal/testprog"
	"github.com/dlv-listen/dlv-listen/listenmode"
)

// Stress sizes: small in the normal suite, DLV_LISTEN_STRESS=full for the
// sizes of issue 6.
func stressSize(small, full int) int {
	if os.Getenv("DLV_LISTEN_STRESS") == "full" {
		return full
	}
	return small
}

// stressJob is the threads program (50 locked threads, threads starting
// and exiting, main.rare every 20 ticks) under jobparent, the shell
// stand-in whose wait statuses say what a shell believes, with dlv-listen
// attached in-process, a tracepoint on main.rare (hit now and then; the
// continue goes on over it) and a continue running.
type stressJob struct {
	job *testprog.Job
	s   *Session
	bp  *api.Breakpoint

	// The running continue, drained by a goroutine: it sends the state of
	// every tracepoint stop and waits for it to be read before going on.
	mu    sync.Mutex
	ended chan struct{} // closed when the continue's channel is
	last  *api.DebuggerState
}

// continueDrained starts a continue and its drainer.
func (sj *stressJob) continueDrained() {
	ch := sj.s.Continue()
	ended := make(chan struct{})
	sj.mu.Lock()
	sj.ended = ended
	sj.mu.Unlock()
	go func() {
		defer close(ended)
		for st := range ch {
			sj.mu.Lock()
			sj.last = st
			sj.mu.Unlock()
		}
	}()
}

// waitEnded waits until the continue returned and gives its last state.
func (sj *stressJob) waitEnded(t *testing.T, what string) *api.DebuggerState {
	t.Helper()
	select {
	case <-sj.ended:
	case <-time.After(testprog.Timeout(CmdTimeout)):
		t.Fatalf("%s: the continue did not return within %v", what, CmdTimeout)
	}
	sj.mu.Lock()
	defer sj.mu.Unlock()
	return sj.last
}

func startStressJob(t *testing.T, extra ...string) *stressJob {
	t.Helper()
	job := testprog.Start(t, "threads", append([]string{"-threads", "50", "-churn", "-rare", "20"}, extra...)...)
	deadline := time.Now().Add(EventTimeout)
	for job.Threads() < 51 {
		if time.Now().After(deadline) {
			t.Fatalf("pid %d has %d threads, want >= 51", job.Pid, job.Threads())
		}
		time.Sleep(Poll)
	}
	s := AttachSession(t, job.Pid)
	bp, err := s.D.Client().CreateBreakpoint(&api.Breakpoint{FunctionName: "main.rare", Tracepoint: true})
	if err != nil {
		t.Fatalf("tracepoint on main.rare: %v", err)
	}
	sj := &stressJob{job: job, s: s, bp: bp}
	sj.continueDrained()
	return sj
}

// alive fails the test if the continue ended (the program died, or an
// error) or the shell saw the program end.
func (sj *stressJob) alive(t *testing.T, when string) {
	t.Helper()
	select {
	case <-sj.ended:
		sj.mu.Lock()
		st := sj.last
		sj.mu.Unlock()
		t.Fatalf("%s: the continue returned: %+v", when, st)
	default:
	}
	for _, ev := range sj.job.Events() {
		if strings.HasPrefix(ev, "exited") || strings.HasPrefix(ev, "signaled") {
			t.Fatalf("%s: the program died: shell events %q", when, sj.job.Events())
		}
	}
}

// hits returns the tracepoint's hit count (the continue is running: the
// breakpoint list is read without stopping).
func (sj *stressJob) hits(t *testing.T) uint64 {
	t.Helper()
	bp, err := sj.s.D.Client().GetBreakpoint(sj.bp.ID)
	if err != nil {
		t.Fatalf("breakpoint %d: %v", sj.bp.ID, err)
	}
	return bp.TotalHitCount
}

// cycles runs n SIGSTOP/SIGCONT cycles and checks every edge: exactly one
// debugger event per edge in order, the shell told of each, the program
// frozen from the shell's "stopped" to our SIGCONT, no death. It returns
// the rate in cycles per second.
func (sj *stressJob) cycles(t *testing.T, n int) float64 {
	t.Helper()
	pid := sj.job.Pid
	start := time.Now()
	for i := 0; i < n; i++ {
		syscall.Kill(pid, syscall.SIGSTOP)
		sj.s.ExpectStop(t, unix.SIGSTOP, EventTimeout)
		sj.job.WaitEvent(t, "stopped SIGSTOP", EventTimeout)
		// The shell believes it stopped: it must not run until SIGCONT.
		atStop := sj.job.Counter()
		if st := sj.job.State(); st != 't' {
			t.Fatalf("cycle %d: state %q while stopped and listened, want t", i, st)
		}
		if c := sj.job.Counter(); c != atStop {
			t.Fatalf("cycle %d: the program ran while the shell believed it stopped (counter %d -> %d)", i, atStop, c)
		}
		syscall.Kill(pid, syscall.SIGCONT)
		sj.s.ExpectContinue(t, EventTimeout)
		sj.job.WaitEvent(t, "continued", EventTimeout)
		if i%50 == 49 {
			sj.alive(t, fmt.Sprintf("cycle %d", i))
			sj.job.WaitAdvance(t, EventTimeout)
		}
	}
	rate := float64(n) / time.Since(start).Seconds()
	sj.s.NoEvent(t, 300*time.Millisecond) // nothing doubled
	sj.alive(t, "the end")
	sj.job.WaitAdvance(t, EventTimeout)
	var stops, conts int
	for _, ev := range sj.job.Events() {
		switch ev {
		case "stopped SIGSTOP":
			stops++
		case "continued":
			conts++
		}
	}
	if stops != n || conts != n {
		t.Fatalf("the shell saw %d stops and %d continues, want %d each", stops, conts, n)
	}
	return rate
}

// TestStressStopCont: STOP/CONT cycles against a 50-thread program whose
// threads start and exit, with a breakpoint it hits now and then.
func TestStressStopCont(t *testing.T) {
	n := stressSize(30, 1000)
	sj := startStressJob(t)
	h0 := sj.hits(t)
	rate := sj.cycles(t, n)
	if sj.hits(t) == h0 {
		sj.job.WaitAdvance(t, EventTimeout)
	}
	deadline := time.Now().Add(EventTimeout)
	for sj.hits(t) == h0 {
		if time.Now().After(deadline) {
			t.Fatalf("the tracepoint on main.rare was never hit")
		}
		time.Sleep(Poll)
	}
	t.Logf("%d STOP/CONT cycles, 50 threads + churn, tracepoint hit %d times: %.1f cycles/s, no event lost or doubled, no resume while stopped, no death",
		n, sj.hits(t), rate)
}

// cpuHogs keeps every core busy until the test ends: one `sh` busy loop
// per CPU, started by the harness (Spawn: they die with the test).
func cpuHogs(t *testing.T) {
	for i := 0; i < max(2, numCPU()); i++ {
		Spawn(t, exec.Command("sh", "-c", "while :; do :; done"))
	}
}

func numCPU() int {
	ents, err := os.ReadDir("/sys/devices/system/cpu")
	if err != nil {
		return 2
	}
	n := 0
	for _, e := range ents {
		var k int
		if _, err := fmt.Sscanf(e.Name(), "cpu%d", &k); err == nil {
			n++
		}
	}
	return n
}

// TestStressStopContBusy is TestStressStopCont with every core busy.
func TestStressStopContBusy(t *testing.T) {
	n := stressSize(10, 100)
	sj := startStressJob(t)
	cpuHogs(t)
	rate := sj.cycles(t, n)
	t.Logf("%d STOP/CONT cycles with every core busy: %.1f cycles/s", n, rate)
}

// TestFaultContRacingHalt: SIGCONT sent while a halt of the stopped
// process is under way. The halt returns, the continue edge is reported
// once, the process stays halted, then runs on continue.
func TestFaultContRacingHalt(t *testing.T) {
	rounds := stressSize(3, 30)
	sj := startStressJob(t)
	deferred := 0
	defer func() {
		t.Logf("%d rounds; the SIGCONT edge came after the halt (reported on the next look) in %d", rounds, deferred)
	}()
	for i := 0; i < rounds; i++ {
		syscall.Kill(sj.job.Pid, syscall.SIGSTOP)
		sj.s.ExpectStop(t, unix.SIGSTOP, EventTimeout)
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			syscall.Kill(sj.job.Pid, syscall.SIGCONT)
		}()
		halted := make(chan struct{})
		go func() {
			defer close(halted)
			sj.s.D.Client().Halt()
		}()
		select {
		case <-halted:
		case <-time.After(testprog.Timeout(CmdTimeout)):
			t.Fatalf("round %d: halt racing SIGCONT did not return within %v", i, CmdTimeout)
		}
		wg.Wait()
		sj.waitEnded(t, fmt.Sprintf("round %d", i))
		// A SIGCONT that lands after the halt's PTRACE_INTERRUPT ends the
		// group-stop of threads the backend holds: the kernel tells the
		// tracer when a thread is next resumed or listened, so the edge
		// is reported when the session next looks (JobState probes) or
		// resumes. Either way it must be reported, once.
		select {
		case ev, ok := <-sj.s.Events.C:
			if !ok || ev.Kind != listenmode.GroupStopEnded {
				t.Fatalf("round %d: event %v (stream open %v), want the group-stop's end", i, ev, ok)
			}
		case <-time.After(time.Second):
			deferred++
			t.Logf("round %d: %s", i, sj.s.D.JobState())
			sj.s.ExpectContinue(t, EventTimeout)
		}
		sj.job.WaitEvent(t, "continued", EventTimeout)
		if st, sig := sj.s.D.Process().JobState(); st != listenmode.StateRunning {
			t.Fatalf("round %d: job state %v %v after SIGCONT, want running", i, st, sig)
		}
		if st := sj.job.State(); st != 't' {
			t.Fatalf("round %d: state %q after the halt, want t (halted)", i, st)
		}
		sj.job.AssertFrozen(t, 50*time.Millisecond)
		sj.continueDrained()
		sj.job.WaitAdvance(t, EventTimeout)
	}
	sj.s.NoEvent(t, 200*time.Millisecond)
}

// TestFaultKillRacingListen: SIGKILL right after SIGSTOP, racing the
// backend's PTRACE_LISTEN of the group-stop. The continue returns the
// exit, the event stream ends, nothing hangs.
func TestFaultKillRacingListen(t *testing.T) {
	rounds := stressSize(2, 20)
	for i := 0; i < rounds; i++ {
		sj := startStressJob(t)
		syscall.Kill(sj.job.Pid, syscall.SIGSTOP)
		syscall.Kill(sj.job.Pid, syscall.SIGKILL)
		if st := sj.waitEnded(t, fmt.Sprintf("round %d: SIGKILL", i)); st == nil || !st.Exited {
			t.Fatalf("round %d: continue returned %+v, want the exit", i, st)
		}
		if ev := sj.job.WaitExit(t, EventTimeout); ev != "signaled SIGKILL" {
			t.Fatalf("round %d: the shell saw %q, want signaled SIGKILL", i, ev)
		}
		deadline := time.After(testprog.Timeout(EventTimeout))
	drain:
		for {
			select {
			case _, ok := <-sj.s.Events.C:
				if !ok {
					break drain
				}
			case <-deadline:
				t.Fatalf("round %d: the event stream did not end within %v of the exit", i, EventTimeout)
			}
		}
	}
}

// TestFaultDetachRacingGroupStop: detach while a SIGSTOP is being
// delivered. Detach finishes, the process is untraced and stopped (the
// shell's SIGSTOP is kept), no breakpoint is left: SIGCONT runs it on.
func TestFaultDetachRacingGroupStop(t *testing.T) {
	rounds := stressSize(2, 20)
	for i := 0; i < rounds; i++ {
		sj := startStressJob(t)
		sj.job.WaitAdvance(t, EventTimeout)
		syscall.Kill(sj.job.Pid, syscall.SIGSTOP)
		done := make(chan error, 1)
		go func() {
			sj.s.D.Client().Halt()
			done <- sj.s.D.Client().Detach(false)
		}()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("round %d: detach: %v", i, err)
			}
		case <-time.After(testprog.Timeout(CmdTimeout)):
			t.Fatalf("round %d: detach racing a group-stop did not return within %v", i, CmdTimeout)
		}
		sj.waitEnded(t, fmt.Sprintf("round %d: detach", i))
		WaitUntraced(t, sj.job.Pid, "stopped", EventTimeout)
		sj.job.WaitEvent(t, "stopped SIGSTOP", EventTimeout)
		sj.job.AssertFrozen(t, 100*time.Millisecond)
		syscall.Kill(sj.job.Pid, syscall.SIGCONT)
		sj.job.WaitEvent(t, "continued", EventTimeout)
		for k := 0; k < 3; k++ { // main.rare every 20 ticks: a tracepoint left would kill it
			sj.job.WaitAdvance(t, EventTimeout)
		}
		n := sj.job.Counter()
		for sj.job.Counter() < n+60 {
			sj.job.WaitAdvance(t, EventTimeout)
		}
		for _, ev := range sj.job.Events() {
			if strings.HasPrefix(ev, "signaled") || strings.HasPrefix(ev, "exited") {
				t.Fatalf("round %d: the program died after detach: %q", i, sj.job.Events())
			}
		}
	}
}

// TestFaultThreadStormDuringGroupStop: threads created every 100 µs and
// exiting at once (-fast) while the process is stopped and continued.
func TestFaultThreadStormDuringGroupStop(t *testing.T) {
	n := stressSize(10, 200)
	sj := startStressJob(t, "-fast")
	rate := sj.cycles(t, n)
	t.Logf("%d STOP/CONT cycles in a thread storm: %.1f cycles/s", n, rate)
}

// TestDebuggerKilledWithBreakpoints repeats the second half of matrix row
// 10 (DLV_LISTEN_STRESS=full only) and gives the distribution of what
// becomes of a program whose debugger is SIGKILLed while it runs with a
// breakpoint inserted.
func TestDebuggerKilledWithBreakpoints(t *testing.T) {
	rounds := stressSize(0, 20)
	if rounds == 0 {
		t.Skip("DLV_LISTEN_STRESS=full only (matrix row 10 runs it once)")
	}
	count := map[string]int{}
	for i := 0; i < rounds; i++ {
		outcome, detail := KillWithBreakpoint(t, FlavorDlvListen)
		count[outcome]++
		t.Logf("round %d: %s: %s", i, outcome, detail)
	}
	t.Logf("%d rounds: %v", rounds, count)
}
