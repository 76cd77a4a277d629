//go:build linux

package backend_test

import (
	"encoding/binary"
	"fmt"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/dlv-listen/dlv-listen/internal/testprog"
)

// gapLog reads the tick records the bigticker program keeps in its shared
// file (see internal/testprog/src/bigticker).
type gapLog struct{ path string }

const (
	// gapRing must match bigticker's.
	gapRing = 65536

	// benchIdle is BenchmarkAttachPause's run with no debugger: the
	// longest gap in a window of benchIdleWindow.
	benchIdle       = "idle"
	benchIdleWindow = 500 * time.Millisecond

	// benchDebuggeeNice is the nice value of bigticker's threads and of
	// this process's (the debugger's).
	benchDebuggeeNice = -10
)

// tickRec is one tick: when it came and how long after the previous one.
type tickRec struct {
	end time.Time
	gap time.Duration
}

// read returns the number of ticks so far and the records still in the
// ring, oldest first.
func (g gapLog) read(b *testing.B) (uint64, []tickRec) {
	b.Helper()
	buf, err := os.ReadFile(g.path)
	if err != nil {
		b.Fatalf("tick records: %v", err)
	}
	word := func(i uint64) uint64 { return binary.LittleEndian.Uint64(buf[8*i:]) }
	n := word(0)
	first := uint64(1)
	if n >= gapRing {
		first = n - gapRing + 2 // the oldest slot may be being rewritten
	}
	recs := make([]tickRec, 0, n-first+1)
	for k := first; k <= n; k++ {
		i := 1 + 2*(k%gapRing)
		recs = append(recs, tickRec{end: time.Unix(0, int64(word(i))), gap: time.Duration(word(i + 1))})
	}
	return n, recs
}

// tickAfter waits until the program ticked after t and returns that tick's
// time: every gap that began before t has ended by then.
func (g gapLog) tickAfter(b *testing.B, t time.Time) time.Time {
	b.Helper()
	deadline := time.Now().Add(benchTimeout)
	for {
		_, recs := g.read(b)
		if len(recs) > 0 && recs[len(recs)-1].end.After(t) {
			return recs[len(recs)-1].end
		}
		if time.Now().After(deadline) {
			b.Fatalf("the program did not tick within %v after %v", benchTimeout, t.Format(time.StampMicro))
		}
		time.Sleep(time.Millisecond)
	}
}

// longest returns the longest gap between ticks that ended in (t0, t1]:
// the longest time the program could not run in that window.
func (g gapLog) longest(b *testing.B, t0, t1 time.Time) time.Duration {
	b.Helper()
	_, recs := g.read(b)
	var m time.Duration
	for _, r := range recs {
		if r.end.After(t0) && !r.end.After(t1) && r.gap > m {
			m = r.gap
		}
	}
	return m
}

// pauseStats is what one backend showed in BenchmarkAttachPause.
type pauseStats struct {
	pauses, attaches []time.Duration
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	return s[len(s)/2]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// BenchmarkAttachPause measures how long attaching freezes a program: the
// debuggee is bigticker (about 15 MB built with -N -l, ticking every
// millisecond), and the figure is its own longest gap between two ticks
// from just before Attach until its first tick after the operation:
//
//   - continue: Attach, then Continue until the backend has resumed every
//     thread;
//   - detach: Attach, then Detach.
//
// Native stops every thread before Delve loads the debug information;
// ours lets the program run during the load and stops it at proc's first
// register read. Reported per backend: pause-max-ms and pause-median-ms
// (the longest gap, worst and median iteration) and attach-median-ms (time
// until Attach returned a stopped, inspectable target). /idle is the same
// program with no debugger, over a window of benchIdleWindow: the gaps the
// machine alone causes. After all ran, each op logs the ratios
// ours/native (shown with -v). Run it with -benchtime=Nx (each iteration
// is a whole attach, about a second).
func BenchmarkAttachPause(b *testing.B) {
	job := benchStart(b, 0, "bigticker")
	gaps := gapLog{path: job.CounterPath + ".gaps"}
	if st, err := os.Stat(job.Bin); err == nil {
		b.Logf("debuggee %s: %.1f MB", job.Bin, float64(st.Size())/1e6)
	}
	benchPrioritize(b, job.Pid)
	for _, op := range []string{"continue", "detach"} {
		b.Run(op, func(b *testing.B) {
			var mu sync.Mutex
			results := map[string]pauseStats{}
			for _, kind := range append([]string{benchIdle}, benchKinds...) {
				b.Run(kind, func(b *testing.B) {
					st := benchAttachPause(b, job, gaps, kind, op)
					mu.Lock()
					results[kind] = st // the last (largest) run counts
					mu.Unlock()
				})
			}
			ours, nat, idle := results[benchOurs], results[benchNative], results[benchIdle]
			if len(ours.pauses) == 0 || len(nat.pauses) == 0 || len(idle.pauses) == 0 {
				return
			}
			b.Logf("%s: longest pause ours %.1f ms, native %.1f ms: ratio %.3f; median pause ours %.1f ms, native %.1f ms: ratio %.3f; time to a stopped target (median) ours %.1f ms, native %.1f ms: ratio %.2f; no debugger: longest gap %.1f ms, median %.1f ms",
				op,
				ms(slices.Max(ours.pauses)), ms(slices.Max(nat.pauses)), float64(slices.Max(ours.pauses))/float64(slices.Max(nat.pauses)),
				ms(median(ours.pauses)), ms(median(nat.pauses)), float64(median(ours.pauses))/float64(median(nat.pauses)),
				ms(median(ours.attaches)), ms(median(nat.attaches)), float64(median(ours.attaches))/float64(median(nat.attaches)),
				ms(slices.Max(idle.pauses)), ms(median(idle.pauses)))
		})
	}
}

func benchAttachPause(b *testing.B, job *testprog.Job, gaps gapLog, kind, op string) pauseStats {
	var st pauseStats
	b.StopTimer()
	for i := 0; i < b.N; i++ {
		benchReady(b, job)
		b.StartTimer()
		t0 := time.Now()
		if kind == benchIdle {
			// The measurement window itself, not a synchronisation.
			time.Sleep(benchIdleWindow)
			b.StopTimer()
			st.pauses = append(st.pauses, gaps.longest(b, t0, gaps.tickAfter(b, time.Now())))
			continue
		}
		grp, err := benchAttach(kind, job.Pid)
		attached := time.Since(t0)
		if err != nil {
			b.Fatalf("%s: attach %d: %v", kind, job.Pid, err)
		}
		var c *benchCont
		switch op {
		case "continue":
			c = benchStartContinue(grp)
			c.waitResumed(b, kind)
		case "detach":
			if err := grp.Detach(false); err != nil {
				b.Fatalf("%s: detach: %v", kind, err)
			}
		default:
			panic(fmt.Sprintf("unknown op %q", op))
		}
		done := time.Now()
		b.StopTimer()
		t1 := gaps.tickAfter(b, done)
		st.pauses = append(st.pauses, gaps.longest(b, t0, t1))
		st.attaches = append(st.attaches, attached)
		if c != nil {
			if err := c.halt(grp, kind); err != nil {
				b.Fatal(err)
			}
			if err := grp.Detach(false); err != nil {
				b.Fatalf("%s: detach: %v", kind, err)
			}
		}
	}
	b.ReportMetric(ms(slices.Max(st.pauses)), "pause-max-ms")
	b.ReportMetric(ms(median(st.pauses)), "pause-median-ms")
	if len(st.attaches) > 0 {
		b.ReportMetric(ms(median(st.attaches)), "attach-median-ms")
	}
	return st
}

// benchPrioritize keeps the program, and the debuggers in this process,
// from starving for CPU on a shared machine, or the gaps would measure the
// machine's load rather than the debugger: the threads of both get nice
// benchDebuggeeNice (root only; threads created later inherit it from
// their creator). The same for both backends; /idle shows the gaps that
// remain with no debugger. (A real-time priority for the program would
// remove those too, but then the program, running during our load, takes
// the CPU from the debugger that serves it: a distortion the other way.)
func benchPrioritize(b *testing.B, pid int) {
	for _, proc := range []int{pid, os.Getpid()} {
		tids, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", proc))
		if err != nil {
			b.Fatal(err)
		}
		for _, t := range tids {
			tid, err := strconv.Atoi(t.Name())
			if err != nil {
				continue
			}
			if proc != pid {
				// Put this process back as it was for what runs next
				// (getpriority(2) returns 20 - nice).
				if raw, err := unix.Getpriority(unix.PRIO_PROCESS, tid); err == nil {
					b.Cleanup(func() { _ = unix.Setpriority(unix.PRIO_PROCESS, tid, 20-raw) })
				}
			}
			if err := unix.Setpriority(unix.PRIO_PROCESS, tid, benchDebuggeeNice); err != nil {
				b.Logf("thread %d keeps its priority (%v): the gaps include CPU starvation", tid, err)
				return
			}
		}
	}
}
