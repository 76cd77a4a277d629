//go:build linux

package listenmode

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ptrace requests x/sys has no wrapper for (DESIGN.md section 2).
const (
	ptraceInterrupt = 0x4207
	ptraceListen    = 0x4208
)

// seedOutput is the output of the reference test program of the
// PTRACE_LISTEN patch (../shared/seed/ptrace-listen-patch.txt).
var seedOutput = []string{
	"tracer: stopped=0 signo=5",
	"mother: SIGSTOP",
	"tracer: SIG 19",
	"tracer: stopped=1 signo=19",
	"mother: SIGCONT",
	"tracer: stopped=0 signo=5",
	"tracer: SIG 18",
	"mother: SIGSTOP",
	"tracer: SIG 19",
	"tracer: stopped=1 signo=19",
	"mother: SIGCONT",
	"tracer: stopped=0 signo=5",
	"tracer: SIG 18",
	"mother: SIGSTOP",
	"tracer: SIG 19",
	"tracer: stopped=1 signo=19",
	"mother: SIGCONT",
	"tracer: stopped=0 signo=5",
	"tracer: SIG 18",
}

const seedTimeout = 5 * time.Second

// transcript is the tracer's and the mother's shared output. The tracer
// appends a line once it has acted on the stop, so a line means the
// tracee has been CONT'ed or LISTEN'ed.
type transcript struct {
	mu      sync.Mutex
	lines   []string
	states  []State // the tracker's state after each tracer line
	changed chan struct{}
}

func newTranscript() *transcript { return &transcript{changed: make(chan struct{})} }

func (tr *transcript) add(line string, st State) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.lines = append(tr.lines, line)
	tr.states = append(tr.states, st)
	close(tr.changed)
	tr.changed = make(chan struct{})
}

func (tr *transcript) snapshot() ([]string, []State, chan struct{}) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return append([]string(nil), tr.lines...), append([]State(nil), tr.states...), tr.changed
}

// waitLen waits until the transcript has n lines, which must be the first
// n lines of seedOutput; it returns the tracker state after line n.
func (tr *transcript) waitLen(n int, done <-chan struct{}) (State, error) {
	deadline := time.NewTimer(seedTimeout)
	defer deadline.Stop()
	for {
		lines, states, changed := tr.snapshot()
		for i := range min(len(lines), len(seedOutput)) {
			if lines[i] != seedOutput[i] {
				return 0, fmt.Errorf("line %d is %q, want %q", i+1, lines[i], seedOutput[i])
			}
		}
		if len(lines) > n {
			return 0, fmt.Errorf("%d lines, want %d", len(lines), n)
		}
		if len(lines) == n {
			return states[n-1], nil
		}
		select {
		case <-changed:
		case <-done:
			// The tracer ended: give it its last chance above.
			if lines2, _, _ := tr.snapshot(); len(lines2) == len(lines) {
				return 0, fmt.Errorf("tracer ended after %d lines, want %d", len(lines), n)
			}
		case <-deadline.C:
			return 0, fmt.Errorf("timed out waiting for line %d (%q)", n, seedOutput[n-1])
		}
	}
}

// seedTracer is the tracer thread's results, read once done is closed.
type seedTracer struct {
	pid    int
	tr     *transcript
	seized chan error
	done   chan struct{}

	events []Event
	final  Stop
	errs   []error
}

func ptraceRaw(req, pid int, data uintptr) error {
	_, _, e := unix.Syscall6(unix.SYS_PTRACE, uintptr(req), uintptr(pid), 0, data, 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

// siCode reads si_code with PTRACE_GETSIGINFO (siginfo_t: si_signo int32
// at 0, si_errno at 4, si_code at 8).
func siCode(pid int) (int32, error) {
	var si [128]byte
	err := ptraceRaw(unix.PTRACE_GETSIGINFO, pid, uintptr(unsafe.Pointer(&si[0])))
	runtime.KeepAlive(&si)
	if err != nil {
		return 0, err
	}
	return *(*int32)(unsafe.Pointer(&si[8])), nil
}

// run is the tracer: one locked OS thread issues every ptrace request and
// every wait. It returns once the tracee is reaped. The thread is never
// unlocked, so it dies with the goroutine.
func (s *seedTracer) run() {
	defer close(s.done)
	runtime.LockOSThread()

	// Options 0: the seed's PTRACE_SEIZE_DEVEL flag is long gone.
	if err := ptraceRaw(unix.PTRACE_SEIZE, s.pid, 0); err != nil {
		s.seized <- err
		return
	}
	s.seized <- nil
	tracker := NewTracker(s.pid)
	tracker.Seized(s.pid)
	fail := func(err error) {
		s.errs = append(s.errs, err)
		unix.Kill(s.pid, unix.SIGKILL) // then reap it below
	}
	if err := ptraceRaw(ptraceInterrupt, s.pid, 0); err != nil {
		fail(fmt.Errorf("PTRACE_INTERRUPT: %w", err))
	}
	for {
		var ws unix.WaitStatus
		wpid, err := unix.Wait4(s.pid, &ws, unix.WALL, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			s.errs = append(s.errs, fmt.Errorf("wait4: %w", err))
			return
		}
		if wpid != s.pid {
			fail(fmt.Errorf("wait4 returned %d", wpid))
			continue
		}
		var code int32
		if NeedsSiginfo(ws) {
			if code, err = siCode(s.pid); err != nil {
				fail(fmt.Errorf("PTRACE_GETSIGINFO: %w", err))
				continue
			}
		}
		stop := Decode(ws, code)
		if stop.Gone() {
			s.final = stop
			return
		}
		e, ok := tracker.Observe(s.pid, stop)
		if ok {
			s.events = append(s.events, e)
		}
		act := PolicyListen.React(stop, ok && e.Kind == GroupStopBegan)
		if act.Requeue {
			fail(fmt.Errorf("%v: unexpected requeue %+v", stop, act))
			continue
		}
		switch act.Op {
		case Listen:
			err = ptraceRaw(ptraceListen, s.pid, 0)
		case Cont:
			err = unix.PtraceCont(s.pid, int(act.Signal))
		default:
			err = fmt.Errorf("unexpected action %+v", act)
		}
		if err != nil {
			fail(fmt.Errorf("%v on %v (status %#x): %w", act.Op, stop, uint32(ws), err))
			continue
		}
		tracker.Resumed(s.pid)

		var line string
		switch stop.Kind {
		case KindSignal:
			line = fmt.Sprintf("tracer: SIG %d", stop.Signal)
		case KindGroupStop, KindEventStop:
			stopped := 0
			if stop.Kind == KindGroupStop {
				stopped = 1
			}
			line = fmt.Sprintf("tracer: stopped=%d signo=%d", stopped, stop.Signal)
		default:
			line = fmt.Sprintf("tracer: unexpected %v (status %#x)", stop, uint32(ws))
		}
		st, _ := tracker.State()
		s.tr.add(line, st)
	}
}

// procState is the state letter of /proc/PID/stat.
func procState(pid int) (byte, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 || i+2 >= len(b) {
		return 0, fmt.Errorf("bad /proc/%d/stat: %q", pid, b)
	}
	return b[i+2], nil
}

// waitProcState polls /proc/PID/stat until its state is one of want.
func waitProcState(pid int, want string) error {
	deadline := time.Now().Add(seedTimeout)
	for {
		st, err := procState(pid)
		if err != nil {
			return err
		}
		if strings.IndexByte(want, st) >= 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("/proc/%d/stat state %c, want one of %q", pid, st, want)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestSeedListen replays the PTRACE_LISTEN patch's test program on the
// real kernel, with listenmode deciding every action: SEIZE and INTERRUPT
// a sleeping process, then three rounds of SIGSTOP/SIGCONT from the
// "mother" while the tracer CONTs or LISTENs.
func TestSeedListen(t *testing.T) {
	sleep := "/bin/sleep"
	if _, err := os.Stat(sleep); err != nil {
		if sleep, err = exec.LookPath("sleep"); err != nil {
			t.Fatalf("no sleep(1): %v", err)
		}
	}
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer devnull.Close()
	fd := devnull.Fd()
	pid, err := syscall.ForkExec(sleep, []string{"sleep", "1000"}, &syscall.ProcAttr{
		Files: []uintptr{fd, fd, fd},
	})
	if err != nil {
		t.Fatalf("start %s: %v", sleep, err)
	}

	tr := newTranscript()
	s := &seedTracer{pid: pid, tr: tr, seized: make(chan error, 1), done: make(chan struct{})}
	go s.run()
	if err := <-s.seized; err != nil {
		unix.Kill(pid, unix.SIGKILL)
		var ws unix.WaitStatus
		unix.Wait4(pid, &ws, 0, nil)
		if errors.Is(err, unix.EPERM) {
			t.Skipf("PTRACE_SEIZE: %v", err)
		}
		t.Fatalf("PTRACE_SEIZE: %v", err)
	}
	t.Cleanup(func() {
		select {
		case <-s.done:
			return
		default:
		}
		unix.Kill(pid, unix.SIGKILL)
		select {
		case <-s.done:
		case <-time.After(seedTimeout):
			t.Errorf("tracer did not reap %d", pid)
		}
	})

	// The mother follows the seed's output: before each of her lines, the
	// tracer must have printed (and acted on) every line before it.
	for i, line := range seedOutput {
		if !strings.HasPrefix(line, "mother: ") {
			continue
		}
		st, err := tr.waitLen(i, s.done)
		if err != nil {
			t.Fatalf("before %q: %v\ntranscript:\n%s", line, err, strings.Join(must(tr), "\n"))
		}
		switch line {
		case "mother: SIGSTOP":
			if st != StateRunning {
				t.Errorf("before line %d: tracker state %v, want running", i+1, st)
			}
			tr.add(line, st)
			if err := unix.Kill(pid, unix.SIGSTOP); err != nil {
				t.Fatal(err)
			}
		case "mother: SIGCONT":
			if st != StateStopped {
				t.Errorf("before line %d: tracker state %v, want stopped", i+1, st)
			}
			// Listening: traced and stopped.
			if c, err := procState(pid); err != nil || c != 't' {
				t.Errorf("listening: /proc/%d/stat state %c (%v), want t", pid, c, err)
			}
			tr.add(line, st)
			if err := unix.Kill(pid, unix.SIGCONT); err != nil {
				t.Fatal(err)
			}
		}
	}
	st, err := tr.waitLen(len(seedOutput), s.done)
	if err != nil {
		t.Fatalf("%v\ntranscript:\n%s", err, strings.Join(must(tr), "\n"))
	}
	if st != StateRunning {
		t.Errorf("final tracker state %v, want running", st)
	}
	// Continued for real: back asleep (or running on its way there).
	if err := waitProcState(pid, "SR"); err != nil {
		t.Error(err)
	}

	if err := unix.Kill(pid, unix.SIGKILL); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.done:
	case <-time.After(seedTimeout):
		t.Fatalf("tracer did not reap %d", pid)
	}
	for _, err := range s.errs {
		t.Errorf("tracer: %v", err)
	}
	if want := (Stop{Kind: KindKilled, Signal: unix.SIGKILL}); s.final != want {
		t.Errorf("final report %v, want %v", s.final, want)
	}

	lines := must(tr)
	if strings.Join(lines, "\n") != strings.Join(seedOutput, "\n") {
		t.Errorf("transcript:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(seedOutput, "\n"))
	}
	var want []Event
	for range 3 {
		want = append(want,
			Event{Kind: GroupStopBegan, Pid: pid, Signal: unix.SIGSTOP, Tid: pid},
			Event{Kind: GroupStopEnded, Pid: pid, Tid: pid})
	}
	if len(s.events) != len(want) {
		t.Fatalf("events %v, want %v", s.events, want)
	}
	for i := range want {
		if s.events[i] != want[i] {
			t.Errorf("event %d = %+v, want %+v", i, s.events[i], want[i])
		}
	}
	t.Logf("transcript:\n%s", strings.Join(lines, "\n"))
}

func must(tr *transcript) []string {
	lines, _, _ := tr.snapshot()
	return lines
}
