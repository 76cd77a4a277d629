//go:build linux

package backend_test

// Benchmarks of dlv-listen's backend against Delve's own native backend
// (pkg/proc/native), measured in the same run on the same debuggee
// (DESIGN.md section 6): attach, halt, breakpoint round trip, memory read,
// group-stop notification latency, CPU used while listening.
//
// Each benchmark has an /ours and a /native sub-benchmark where native has
// an equivalent; compare them as ratios, measured side by side.
//
// Rules these benchmarks follow:
//   - Delve's native backend waits with wait4(-1, __WALL) without
//     __WNOTHREAD, so it can reap the exit status of any child of this
//     process: a native session and one of ours are never alive at the same
//     time, every debuggee is started (and every test program built) before
//     a native session attaches, and every session is detached at the end of
//     the benchmark function that attached it (b.Cleanup, which runs after
//     the timer has stopped).
//   - Native's Detach sleeps 50 ms and may SIGCONT a stopped process: detach
//     is never inside a timed region.
//   - Besides ns/op, benchmarks timing single events also report the median
//     of the per-iteration durations ("median-ns"), which a noisy machine
//     disturbs less than the mean.

import (
	"bytes"
	"debug/elf"
	"fmt"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/go-delve/delve/pkg/proc"
	"github.com/go-delve/delve/pkg/proc/native"
	"golang.org/x/sys/unix"

	"github.com/dlv-listen/dlv-listen/backend"
	"github.com/dlv-listen/dlv-listen/internal/testprog"
	"github.com/dlv-listen/dlv-listen/listenmode"
)

const (
	benchOurs   = "ours"
	benchNative = "native"
	benchRaw    = "raw"

	benchTimeout = 10 * time.Second
)

var benchKinds = []string{benchOurs, benchNative}

// benchAttach attaches the backend kind to pid.
func benchAttach(kind string, pid int) (*proc.TargetGroup, error) {
	switch kind {
	case benchOurs:
		return backend.Attach(pid, nil, nil)
	case benchNative:
		return native.Attach(pid, nil, nil)
	}
	return nil, fmt.Errorf("unknown backend %q", kind)
}

// benchSession attaches kind to pid and detaches when the benchmark
// function returns (cleanups run after runN stopped the timer).
func benchSession(b *testing.B, kind string, pid int) *proc.TargetGroup {
	b.Helper()
	grp, err := benchAttach(kind, pid)
	if err != nil {
		b.Fatalf("%s: attach %d: %v", kind, pid, err)
	}
	b.Cleanup(func() {
		if ok, _ := grp.Valid(); ok {
			if err := grp.Detach(false); err != nil {
				b.Errorf("%s: detach %d: %v", kind, pid, err)
			}
		}
	})
	return grp
}

// benchCont is a grp.Continue running on its own goroutine.
type benchCont struct {
	resumed chan struct{} // closed by proc once every thread was resumed
	done    chan struct{} // closed when Continue returned
	err     error         // Continue's result, set before done is closed
}

// benchStartContinue starts grp.Continue on its own goroutine.
func benchStartContinue(grp *proc.TargetGroup) *benchCont {
	c := &benchCont{resumed: make(chan struct{}), done: make(chan struct{})}
	grp.ResumeNotify(c.resumed)
	go func() {
		c.err = grp.Continue()
		close(c.done)
	}()
	return c
}

// waitResumed waits until the backend has resumed the process.
func (c *benchCont) waitResumed(b *testing.B, kind string) {
	b.Helper()
	select {
	case <-c.resumed:
	case <-c.done:
		b.Fatalf("%s: Continue returned before the process resumed: %v", kind, c.err)
	case <-time.After(benchTimeout):
		b.Fatalf("%s: the process did not resume within %v", kind, benchTimeout)
	}
}

// halt requests a manual stop and waits for Continue to return.
func (c *benchCont) halt(grp *proc.TargetGroup, kind string) error {
	select {
	case <-c.done:
		return c.err
	default:
	}
	if err := grp.RequestManualStop(); err != nil {
		return fmt.Errorf("%s: RequestManualStop: %w", kind, err)
	}
	select {
	case <-c.done:
		return c.err
	case <-time.After(benchTimeout):
		return fmt.Errorf("%s: Continue did not return within %v of a halt request", kind, benchTimeout)
	}
}

// benchContinue starts Continue, waits until the process runs, and
// registers a cleanup halting it; registered after the session's, it runs
// before the detach.
func benchContinue(b *testing.B, grp *proc.TargetGroup, kind string) *benchCont {
	b.Helper()
	c := benchStartContinue(grp)
	c.waitResumed(b, kind)
	b.Cleanup(func() {
		if err := c.halt(grp, kind); err != nil {
			b.Errorf("%v", err)
		}
	})
	return c
}

// benchStart runs a test program under its jobparent and, for the threads
// program, waits until it has at least minThreads OS threads.
func benchStart(b *testing.B, minThreads int, name string, args ...string) *testprog.Job {
	b.Helper()
	job := testprog.Start(b, name, args...)
	deadline := time.Now().Add(benchTimeout)
	for job.Threads() < minThreads {
		if time.Now().After(deadline) {
			b.Fatalf("%s: pid %d has %d threads, want >= %d", name, job.Pid, job.Threads(), minThreads)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return job
}

// benchReady waits until the debuggee is untraced, not stopped, and its
// counter moves: a previous session let it go cleanly.
func benchReady(b testing.TB, job *testprog.Job) {
	b.Helper()
	deadline := time.Now().Add(benchTimeout)
	for {
		st, tracer, err := testprog.ProcStat(job.Pid)
		if err != nil {
			b.Fatalf("pid %d: %v", job.Pid, err)
		}
		if tracer == 0 && st != 'T' && st != 't' {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("pid %d: state %q, tracer %d after %v", job.Pid, st, tracer, benchTimeout)
		}
		time.Sleep(time.Millisecond)
	}
	job.WaitAdvance(b, benchTimeout)
}

// benchMedian reports the median of ds as "median-ns".
func benchMedian(b *testing.B, ds []time.Duration) {
	if len(ds) == 0 {
		return
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	m := s[len(s)/2]
	if len(s)%2 == 0 {
		m = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	b.ReportMetric(float64(m.Nanoseconds()), "median-ns")
}

// BenchmarkAttach times Attach (seize/attach every thread, load the debug
// information, build the target) of a running process with N threads. The
// detach of each iteration is not timed. One process per thread count,
// reused across iterations and by both backends.
func BenchmarkAttach(b *testing.B) {
	for _, n := range []int{10, 200} {
		b.Run(fmt.Sprintf("threads=%d", n), func(b *testing.B) {
			job := benchStart(b, n, "threads", "-threads", strconv.Itoa(n))
			for _, kind := range benchKinds {
				b.Run(kind, func(b *testing.B) {
					benchReady(b, job)
					durs := make([]time.Duration, 0, b.N)
					b.ResetTimer()
					for i := 0; i < b.N; i++ {
						t0 := time.Now()
						grp, err := benchAttach(kind, job.Pid)
						d := time.Since(t0)
						b.StopTimer()
						if err != nil {
							b.Fatalf("%s: attach %d: %v", kind, job.Pid, err)
						}
						durs = append(durs, d)
						if got := len(grp.Selected.ThreadList()); got < n {
							b.Fatalf("%s: attached %d threads, want >= %d", kind, got, n)
						}
						if err := grp.Detach(false); err != nil {
							b.Fatalf("%s: detach: %v", kind, err)
						}
						benchReady(b, job)
						b.StartTimer()
					}
					b.StopTimer()
					benchMedian(b, durs)
				})
			}
		})
	}
}

// BenchmarkHalt times a halt of a running process with N threads: from
// RequestManualStop until Continue returns with every thread stopped. Ours
// halts with PTRACE_INTERRUPT; native sends the process SIGTRAP and then
// SIGSTOP to every thread. The resume is not timed: the iteration starts
// once the backend has resumed every thread and the program's counter has
// moved.
func BenchmarkHalt(b *testing.B) {
	for _, n := range []int{10, 200} {
		b.Run(fmt.Sprintf("threads=%d", n), func(b *testing.B) {
			job := benchStart(b, n, "threads", "-threads", strconv.Itoa(n))
			for _, kind := range benchKinds {
				b.Run(kind, func(b *testing.B) {
					benchReady(b, job)
					grp := benchSession(b, kind, job.Pid)
					durs := make([]time.Duration, 0, b.N)
					b.ResetTimer()
					b.StopTimer()
					for i := 0; i < b.N; i++ {
						c := benchStartContinue(grp)
						c.waitResumed(b, kind)
						job.WaitAdvance(b, benchTimeout) // really running
						b.StartTimer()
						t0 := time.Now()
						if err := grp.RequestManualStop(); err != nil {
							b.Fatalf("%s: RequestManualStop: %v", kind, err)
						}
						<-c.done
						d := time.Since(t0)
						b.StopTimer()
						if c.err != nil {
							b.Fatalf("%s: Continue: %v", kind, c.err)
						}
						durs = append(durs, d)
					}
					if got := len(grp.Selected.ThreadList()); got < n {
						b.Fatalf("%s: %d threads after halt, want >= %d", kind, got, n)
					}
					benchMedian(b, durs)
				})
			}
		})
	}
}

// BenchmarkBreakpointRoundTrip times one Continue from a breakpoint on
// main.tick to its next hit, with counter ticking as fast as it can
// (-period 0: time.Sleep(0) returns at once). Each round trip steps the
// trapped thread over the breakpoint, resumes every thread, waits for the
// trap and stops every thread again.
func BenchmarkBreakpointRoundTrip(b *testing.B) {
	job := benchStart(b, 0, "counter", "-period", "0")
	for _, kind := range benchKinds {
		b.Run(kind, func(b *testing.B) {
			benchReady(b, job)
			grp := benchSession(b, kind, job.Pid)
			tgt := grp.Selected
			addrs, err := proc.FindFunctionLocation(tgt, "main.tick", 0)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := tgt.SetBreakpoint(1, addrs[0], proc.UserBreakpoint, nil); err != nil {
				b.Fatal(err)
			}
			check := func() {
				bp := tgt.CurrentThread().Breakpoint().Breakpoint
				if bp == nil || bp.Addr != addrs[0] {
					b.Fatalf("%s: Continue stopped at %v, want the breakpoint at %#x", kind, bp, addrs[0])
				}
			}
			if err := grp.Continue(); err != nil { // first hit, untimed
				b.Fatal(err)
			}
			check()
			durs := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				err := grp.Continue()
				durs = append(durs, time.Since(t0))
				if err != nil {
					b.Fatalf("%s: Continue: %v", kind, err)
				}
				check()
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "hits/s")
			benchMedian(b, durs)
		})
	}
}

// benchText returns the address of the executable's .text section and its
// first size bytes as stored in the file.
func benchText(b *testing.B, exe string, size int) (uint64, []byte) {
	b.Helper()
	f, err := elf.Open(exe)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if f.Type != elf.ET_EXEC {
		b.Skipf("%s is %v, not a fixed-address executable", exe, f.Type)
	}
	sec := f.Section(".text")
	if sec == nil || sec.Size < uint64(size) {
		b.Fatalf("%s: no .text of at least %d bytes", exe, size)
	}
	want := make([]byte, size)
	if _, err := sec.ReadAt(want, 0); err != nil {
		b.Fatal(err)
	}
	return sec.Addr, want
}

// BenchmarkReadMemory64K reads 64 KiB of the debuggee's text (from the
// start of .text) through the backend's proc.MemoryReadWriter; /raw issues
// process_vm_readv directly on the same process, with no debugger attached.
func BenchmarkReadMemory64K(b *testing.B) {
	const size = 64 << 10
	job := benchStart(b, 0, "counter")
	addr, want := benchText(b, job.Bin, size)
	for _, kind := range []string{benchOurs, benchNative, benchRaw} {
		b.Run(kind, func(b *testing.B) {
			benchReady(b, job)
			buf := make([]byte, size)
			b.SetBytes(size)
			if kind == benchRaw {
				local := []unix.Iovec{{Base: &buf[0], Len: size}}
				remote := []unix.RemoteIovec{{Base: uintptr(addr), Len: size}}
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					n, err := unix.ProcessVMReadv(job.Pid, local, remote, 0)
					if err != nil || n != size {
						b.Fatalf("process_vm_readv: %d, %v", n, err)
					}
				}
				b.StopTimer()
			} else {
				grp := benchSession(b, kind, job.Pid)
				mem := grp.Selected.Memory()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					n, err := mem.ReadMemory(buf, addr)
					if err != nil || n != size {
						b.Fatalf("%s: ReadMemory: %d, %v", kind, n, err)
					}
				}
				b.StopTimer()
			}
			if !bytes.Equal(buf, want) {
				b.Fatalf("%s: the bytes read differ from the executable's .text", kind)
			}
		})
	}
}

// benchEvent waits for the next job-control event of sub and fails unless
// it is of kind want.
func benchEvent(b *testing.B, sub *backend.Subscription, c *benchCont, want listenmode.EventKind, timeout <-chan time.Time) listenmode.Event {
	select {
	case ev, ok := <-sub.C:
		if !ok {
			b.Fatalf("subscription closed while waiting for event kind %d", want)
		}
		if ev.Kind != want {
			b.Fatalf("event %v, want kind %d", ev, want)
		}
		return ev
	case <-c.done:
		b.Fatalf("Continue returned while waiting for event kind %d: %v", want, c.err)
	case <-timeout:
		b.Fatalf("no event of kind %d within %v", want, benchTimeout)
	}
	panic("unreachable")
}

// BenchmarkGroupStopNotify times, while the process is continued, from
// kill(pid, SIGSTOP) until the GroupStopBegan event reaches a subscriber.
// The SIGCONT that ends the group-stop, and the GroupStopEnded event, are
// not timed.
//
// Ours only: Delve's native backend gives no notification of a group-stop
// (it re-injects the SIGSTOP and then PTRACE_CONTs the stopped threads, so
// the process keeps running and no client is told), so there is nothing
// to compare with.
func BenchmarkGroupStopNotify(b *testing.B) {
	job := benchStart(b, 0, "counter")
	b.Run(benchOurs, func(b *testing.B) {
		b.Log("ours only: Delve's native backend gives no group-stop notification (no equivalent to compare with)")
		benchReady(b, job)
		grp := benchSession(b, benchOurs, job.Pid)
		p, ok := backend.Of(grp)
		if !ok {
			b.Fatal("backend.Of: not our backend")
		}
		sub := p.Subscribe()
		b.Cleanup(sub.Close)
		c := benchContinue(b, grp, benchOurs)
		durs := make([]time.Duration, 0, b.N)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			timeout := time.After(benchTimeout)
			t0 := time.Now()
			if err := unix.Kill(job.Pid, unix.SIGSTOP); err != nil {
				b.Fatal(err)
			}
			ev := benchEvent(b, sub, c, listenmode.GroupStopBegan, timeout)
			d := time.Since(t0)
			b.StopTimer()
			durs = append(durs, d)
			if ev.Signal != unix.SIGSTOP {
				b.Fatalf("GroupStopBegan with %v, want SIGSTOP", ev.Signal)
			}
			if err := unix.Kill(job.Pid, unix.SIGCONT); err != nil {
				b.Fatal(err)
			}
			benchEvent(b, sub, c, listenmode.GroupStopEnded, time.After(benchTimeout))
			b.StartTimer()
		}
		b.StopTimer()
		benchMedian(b, durs)
	})
}

// benchCPU is this process's user+system CPU time so far.
func benchCPU(b *testing.B) time.Duration {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchWaitStopped waits until job is in a group-stop that its parent saw.
func benchWaitStopped(b *testing.B, job *testprog.Job) {
	b.Helper()
	job.WaitEvent(b, "stopped SIGSTOP", benchTimeout)
	job.WaitState(b, 'T', benchTimeout)
}

// BenchmarkListenCPU measures the CPU time this process (the debugger)
// uses during a 10 s window while it is continued on a SIGSTOP'ed counter.
// Run it with -benchtime=1x: each iteration is one full window.
//
// Ours listens (PTRACE_LISTEN): the program stays stopped and the debugger
// sleeps until the kernel reports something. Native cannot be made to sit
// on a stopped process: its Continue PTRACE_CONTs every thread, so the
// program runs during the window (see debuggee-ticks) and native's cost is
// that of a continued running program, not of waiting. /baseline is the
// same window with no debugger session, the test binary's own noise.
func BenchmarkListenCPU(b *testing.B) {
	const window = 10 * time.Second
	run := func(b *testing.B, kind string) {
		var cpu time.Duration
		var ticks int64
		b.StopTimer()
		for i := 0; i < b.N; i++ {
			job := benchStart(b, 0, "counter")
			job.Signal(b, syscall.SIGSTOP)
			benchWaitStopped(b, job)
			var (
				grp *proc.TargetGroup
				sub *backend.Subscription
				c   *benchCont
			)
			if kind != "baseline" {
				var err error
				grp, err = benchAttach(kind, job.Pid)
				if err != nil {
					b.Fatalf("%s: attach: %v", kind, err)
				}
				if kind == benchOurs {
					p, _ := backend.Of(grp)
					if st, _ := p.JobState(); st != listenmode.StateStopped {
						b.Fatalf("ours: job state after attach %v, want stopped", st)
					}
					sub = p.Subscribe()
				}
				c = benchStartContinue(grp)
				c.waitResumed(b, kind)
			}
			c0 := job.Counter()
			b.StartTimer()
			cpu0 := benchCPU(b)
			time.Sleep(window) // the measurement window itself, not a synchronisation
			cpu1 := benchCPU(b)
			b.StopTimer()
			cpu += cpu1 - cpu0
			ticks += job.Counter() - c0
			if kind == benchOurs {
				if st := job.State(); st != 't' {
					b.Errorf("ours: debuggee state %q while listening, want 't'", st)
				}
			}
			job.Signal(b, syscall.SIGCONT)
			if sub != nil {
				benchEvent(b, sub, c, listenmode.GroupStopEnded, time.After(benchTimeout))
				sub.Close()
			}
			job.WaitAdvance(b, benchTimeout)
			if grp != nil {
				if err := c.halt(grp, kind); err != nil {
					b.Fatal(err)
				}
				if err := grp.Detach(false); err != nil {
					b.Fatalf("%s: detach: %v", kind, err)
				}
			}
		}
		ms := float64(cpu) / float64(time.Millisecond) / float64(b.N) * float64(10*time.Second) / float64(window)
		b.ReportMetric(ms, "cpu-ms/10s")
		b.ReportMetric(float64(ticks)/float64(b.N), "debuggee-ticks/10s")
	}
	b.Run("baseline", func(b *testing.B) { run(b, "baseline") })
	for _, kind := range benchKinds {
		b.Run(kind, func(b *testing.B) {
			if kind == benchNative {
				b.Log("native does not listen: its Continue resumes the stopped program (see debuggee-ticks)")
			}
			run(b, kind)
		})
	}
}

// BenchmarkChildren measures how fast a debuggee starts and reaps children
// while it is continued: each op is one round of forker, an os/exec child
// (vfork, then exec of a Go program) and a raw fork(2) child. dlv-listen
// attaches every child to clean it and let it go (fork) or runs it traced
// until its exec (vfork); native does not trace them. No user breakpoint
// is set (native's children would die of them: TestForkedChildrenUnderNative),
// except in ours/child-path-breakpoint: one on a runtime function only
// os/exec's children run, so each is traced until its exec, system call by
// system call, and stepped over it.
func BenchmarkChildren(b *testing.B) {
	run := func(b *testing.B, kind string, childBP bool) {
		job := benchStart(b, 0, "forker", "-period", "0s")
		if kind != "baseline" {
			grp := benchSession(b, kind, job.Pid)
			if childBP {
				addrs, err := proc.FindFunctionLocation(grp.Selected, "syscall.runtime_AfterForkInChild", 0)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := grp.Selected.SetBreakpoint(1, addrs[0], proc.UserBreakpoint, nil); err != nil {
					b.Fatal(err)
				}
			}
			benchContinue(b, grp, kind)
		}
		took := timeRounds(b, job, kind, 100*time.Millisecond, "rounds")
		b.ReportMetric(float64(2*b.N)/took.Seconds(), "children/s")
		if kind == benchOurs {
			if bad := childrenThatDied(job); len(bad) > 0 {
				b.Fatalf("ours: children that did not end normally: %q", bad)
			}
		}
	}
	b.Run("baseline", func(b *testing.B) { run(b, "baseline", false) })
	for _, kind := range benchKinds {
		b.Run(kind, func(b *testing.B) { run(b, kind, false) })
	}
	b.Run(benchOurs+"/child-path-breakpoint", func(b *testing.B) { run(b, benchOurs, true) })
}

// timeRounds times b.N rounds of job (its counter file), with the timer
// running only for them; it fails after benchTimeout plus perRound a
// round. what names the rounds in the failure.
func timeRounds(b *testing.B, job *testprog.Job, kind string, perRound time.Duration, what string) time.Duration {
	b.Helper()
	c0 := job.Counter()
	deadline := time.Now().Add(benchTimeout + time.Duration(b.N)*perRound)
	b.ResetTimer()
	start := time.Now()
	for job.Counter() < c0+int64(b.N) {
		if time.Now().After(deadline) {
			b.Fatalf("%s: %d %s of %d after %v", kind, job.Counter()-c0, what, b.N, time.Since(start))
		}
		time.Sleep(100 * time.Microsecond) // polling the counter file
	}
	b.StopTimer()
	return time.Since(start)
}
