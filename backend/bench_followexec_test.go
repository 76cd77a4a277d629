//go:build linux

package backend_test

// Benchmarks of follow-exec against Delve's native backend in the same run
// (native follows exec'd children on Linux: grp.FollowExec(true, "")), on
// the spawner, which starts one Go child after another with os/exec and
// reaps each. The rules of bench_test.go hold: a native session and one of
// ours are never alive at the same time, each debuggee is started before
// its session attaches, detaches are not timed.

import (
	"fmt"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/go-delve/delve/pkg/proc"

	"github.com/dlv-listen/dlv-listen/backend"
	"github.com/dlv-listen/dlv-listen/internal/testprog"
)

// benchFollowExec turns follow-exec on in a session of kind.
func benchFollowExec(b *testing.B, kind string, grp *proc.TargetGroup) {
	b.Helper()
	var err error
	if kind == benchOurs {
		err = backend.FollowExec(grp, true, "")
	} else {
		err = grp.FollowExec(true, "")
	}
	if err != nil {
		b.Fatalf("%s: follow-exec on: %v", kind, err)
	}
}

// benchSpawnerDied lists the spawner's children from first to last that
// did not exit with status 3.
func benchSpawnerDied(job *testprog.Job, first, last int) []string {
	byN, _ := spawnerChildren(job.Output())
	var bad []string
	for n, c := range byN {
		if n >= first && n <= last && c.End != "exit 3" {
			bad = append(bad, fmt.Sprintf("child %d (pid %d): %s", n, c.Pid, c.End))
		}
	}
	return bad
}

// BenchmarkFollowExecChildren measures how fast a debuggee starts and reaps
// children while it is continued, with follow-exec off and on: each op is
// one child of the spawner (vfork, exec of a Go program, its run, the
// parent's wait). With follow-exec on each child becomes a target of the
// session at its exec (its debug information loaded) and runs to its end
// there; no breakpoint is set. "follow=false,breakpoint" has follow-exec
// off and a user breakpoint in the program's own code that nothing runs
// (main.childWork, which only children run, after their exec): such a
// breakpoint leaves vfork children untraced (forkopts_linux.go; one in the
// code os/exec's child runs before its exec gets each child traced, to
// step it over the breakpoint, where under native it dies).
// "baseline" is the spawner undebugged.
//
// The three are timed in turns, in blocks of followBlock children, the
// order turning each round, on one spawner: a session is attached (and
// continued) for its block and detached after it, untimed, so the load of
// a shared machine weighs on all three alike (a native session and one of
// ours are still never alive at once). Reported: each one's children/s
// over all its blocks, "ratio", ours/native of those, and "median-ratio",
// the median of the rounds' ours/native.
func BenchmarkFollowExecChildren(b *testing.B) {
	for _, v := range []struct{ follow, bp bool }{{false, false}, {false, true}, {true, false}} {
		follow := v.follow
		name := fmt.Sprintf("follow=%v", follow)
		if v.bp {
			name += ",breakpoint"
		}
		b.Run(name, func(b *testing.B) {
			job := benchStart(b, 0, "spawner", "-period", "0s")
			b.StopTimer() // timeChildren runs it
			b.ResetTimer()
			kinds := []string{"baseline", benchOurs, benchNative}
			took := map[string]time.Duration{}
			var ratios []float64
			for done, round := 0, 0; done < b.N; round++ {
				n := min(followBlock, b.N-done)
				rate := map[string]float64{}
				for i := range kinds {
					kind := kinds[(round+i)%len(kinds)]
					d := benchFollowBlock(b, job, kind, follow, v.bp, n)
					took[kind] += d
					rate[kind] = float64(n) / d.Seconds()
				}
				ratios = append(ratios, rate[benchOurs]/rate[benchNative])
				done += n
			}
			for _, kind := range kinds {
				b.ReportMetric(float64(b.N)/took[kind].Seconds(), kind+"-children/s")
			}
			b.ReportMetric(took[benchNative].Seconds()/took[benchOurs].Seconds(), "ratio")
			slices.Sort(ratios)
			b.ReportMetric(ratios[len(ratios)/2], "median-ratio")
		})
	}
}

// followBlock is how many children a session of
// BenchmarkFollowExecChildren lives for.
const followBlock = 10

// benchFollowBlock times n children of the spawner job under kind
// ("baseline": undebugged), follow-exec on or off, with a breakpoint on
// main.childWork in the parent or not, and returns the time they took;
// attaching, detaching and the first child's start are not timed. Ours
// fails on a child that did not end normally.
func benchFollowBlock(b *testing.B, job *testprog.Job, kind string, follow, bp bool, n int) time.Duration {
	b.Helper()
	// The last session's garbage is collected now, not while the next
	// block runs.
	runtime.GC()
	var grp *proc.TargetGroup
	var c *benchCont
	if kind != "baseline" {
		benchReady(b, job)
		var err error
		if grp, err = benchAttach(kind, job.Pid); err != nil {
			b.Fatalf("%s: attach %d: %v", kind, job.Pid, err)
		}
		if follow {
			benchFollowExec(b, kind, grp)
		}
		if bp {
			addrs, err := proc.FindFunctionLocation(grp.Selected, "main.childWork", 0)
			if err != nil || len(addrs) == 0 {
				b.Fatalf("%s: FindFunctionLocation(main.childWork): %v %v", kind, addrs, err)
			}
			if _, err := grp.Selected.SetBreakpoint(1, addrs[0], proc.UserBreakpoint, nil); err != nil {
				b.Fatalf("%s: SetBreakpoint(main.childWork): %v", kind, err)
			}
		}
		c = benchStartContinue(grp)
		c.waitResumed(b, kind)
	}
	// From the next child on: one that started before is partly the
	// previous session's.
	c0 := job.Counter()
	for job.Counter() == c0 {
		time.Sleep(100 * time.Microsecond) // polling the counter file
	}
	first := int(job.Counter())
	took := timeChildren(b, job, kind, n)
	if grp != nil {
		if err := c.halt(grp, kind); err != nil {
			b.Fatalf("%v", err)
		}
		if err := grp.Detach(false); err != nil {
			b.Fatalf("%s: detach %d: %v", kind, job.Pid, err)
		}
	}
	if bad := benchSpawnerDied(job, first+1, first+n); len(bad) > 0 {
		if kind == benchOurs {
			b.Fatalf("ours: children that did not exit 3: %q", bad)
		}
		b.Logf("%s: children that did not exit 3: %q", kind, bad)
	}
	return took
}

// timeChildren waits for n more children of job (its counter file) and
// returns the time they took.
func timeChildren(b *testing.B, job *testprog.Job, kind string, n int) time.Duration {
	b.Helper()
	c0 := job.Counter()
	deadline := time.Now().Add(benchTimeout + time.Duration(n)*time.Second)
	b.StartTimer()
	start := time.Now()
	for job.Counter() < c0+int64(n) {
		if time.Now().After(deadline) {
			b.Fatalf("%s: %d children of %d after %v", kind, job.Counter()-c0, n, time.Since(start))
		}
		time.Sleep(100 * time.Microsecond) // polling the counter file
	}
	took := time.Since(start)
	b.StopTimer()
	return took
}

// benchStopAt continues grp and fails unless it stops on a breakpoint in
// fn, in the parent (parent) or in a child (!parent).
func benchStopAt(b *testing.B, grp *proc.TargetGroup, kind string, parentPid int, parent bool, fn string) *proc.Target {
	b.Helper()
	c := benchStartContinue(grp)
	select {
	case <-c.done:
	case <-time.After(feTimeout):
		b.Fatalf("%s: no stop within %v of a continue (waiting for %s)", kind, feTimeout, fn)
	}
	if c.err != nil {
		b.Fatalf("%s: continue: %v", kind, c.err)
	}
	tgt, got := stopFn(b, grp)
	if got != fn || (tgt.Pid() == parentPid) != parent {
		b.Fatalf("%s: stopped in %s of process %d, want %s in %s", kind, got, tgt.Pid(), fn,
			map[bool]string{true: "the parent", false: "a child"}[parent])
	}
	return tgt
}

// BenchmarkFollowExecChildStop times, with follow-exec on, the way from
// the parent's breakpoint at main.round to the stop of its next child at
// main.childWork: the parent resumes, starts the child (vfork, exec), the
// debugger takes the new program as a target (its debug information
// loaded, the breakpoint enabled in it) and the child runs to childWork.
// What follows the exec is most of it; the stop in the parent is not
// timed. Also reported: median-ns, and back-median-ns, the median of the
// untimed way back: from the child's stop, through its exit and the
// parent's wait, to the parent's next stop at main.round.
func BenchmarkFollowExecChildStop(b *testing.B) {
	for _, kind := range benchKinds {
		b.Run(kind, func(b *testing.B) {
			job := benchStart(b, 0, "spawner", "-period", "0s")
			grp := benchSession(b, kind, job.Pid)
			benchFollowExec(b, kind, grp)
			addrs, err := proc.FindFunctionLocation(grp.Selected, "main.round", 0)
			if err != nil || len(addrs) == 0 {
				b.Fatalf("%s: main.round: %v", kind, err)
			}
			if _, err := grp.Selected.SetBreakpoint(1, addrs[0], proc.UserBreakpoint, nil); err != nil {
				b.Fatalf("%s: breakpoint on main.round: %v", kind, err)
			}
			suspendedBreak(b, grp, 2, "main.childWork")
			// A child started before the attach may stop first.
			for i := 0; ; i++ {
				c := benchStartContinue(grp)
				select {
				case <-c.done:
				case <-time.After(feTimeout):
					b.Fatalf("%s: no stop within %v", kind, feTimeout)
				}
				if c.err != nil {
					b.Fatalf("%s: continue: %v", kind, c.err)
				}
				if tgt, fn := stopFn(b, grp); tgt.Pid() == job.Pid && fn == "main.round" {
					break
				}
				if i > 2 {
					b.Fatalf("%s: no stop at main.round", kind)
				}
			}
			durs := make([]time.Duration, 0, b.N)
			var backs []time.Duration // from the child's stop to the parent's next
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if i > 0 {
					b.StopTimer()
					t0 := time.Now()
					benchStopAt(b, grp, kind, job.Pid, true, "main.round")
					backs = append(backs, time.Since(t0))
					b.StartTimer()
				}
				t0 := time.Now()
				benchStopAt(b, grp, kind, job.Pid, false, "main.childWork")
				durs = append(durs, time.Since(t0))
			}
			b.StopTimer()
			benchMedian(b, durs)
			if len(backs) > 0 {
				slices.Sort(backs)
				b.ReportMetric(float64(backs[len(backs)/2].Nanoseconds()), "back-median-ns")
			}
		})
	}
}
