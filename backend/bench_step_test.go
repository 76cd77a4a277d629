//go:build linux

package backend_test

// Stepping, ours against Delve's native backend, with every landing
// checked: BenchmarkStepNext times `next` (and `step` into calls) through
// dapprog's loop, and TestStepLandingsMatchNative is its small version in
// the normal suite. Both follow the rules in bench_test.go's header (never
// two sessions at once, detach outside the timed region).
//
// The debuggee is dapprog, the program of the DAP tests where a `next`
// from "work: call inner" once landed in main.main instead of the next
// line of work (issue 16): the same user breakpoint stays set on that
// line, as in those tests, so each round of the loop stops there and
// steps away from a breakpoint. The loop takes the same path every round
// (no branch depends on the iteration), so from the same first stop the
// landings of two correct backends are the same, index by index.

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-delve/delve/pkg/proc"
	"github.com/go-delve/delve/pkg/proc/native"

	"github.com/dlv-listen/dlv-listen/backend"
	"github.com/dlv-listen/dlv-listen/internal/testprog"
)

// The stepping modes: next does `next` at every stop; step does `step` at
// every stop outside main.main (into inner and rect.Area, and out of them
// back into work) and `next` in main.main, which keeps it out of
// writeCounter's calls into the os package.
const (
	stepNext = "next"
	stepStep = "step"
)

// stepMarker is the dapprog source line of the user breakpoint.
const stepMarker = "// work: call inner"

// stepPeriod is dapprog's pause between rounds: short, so that stepping
// and not the pause is timed, but not zero, so that the `next` over
// time.Sleep parks the goroutine and may resume it on another thread.
const stepPeriod = "20us"

// landing is where one step stopped: the selected goroutine, its PC and
// source line, and the stop reason proc gave.
type landing struct {
	goid   int64
	pc     uint64
	fn     string
	line   int
	reason proc.StopReason
}

func (l landing) String() string {
	return fmt.Sprintf("goroutine %d at %s:%d (pc %#x, %v)", l.goid, l.fn, l.line, l.pc, l.reason)
}

// stepStart starts dapprog for stepping.
func stepStart(tb testing.TB) *testprog.Job {
	tb.Helper()
	return testprog.Start(tb, "dapprog", "-period", stepPeriod)
}

// stepOpen gives a session of backend kind stopped at the user breakpoint
// on stepMarker's line, and ends it at cleanup.
type stepOpen func(tb testing.TB, kind string) *proc.TargetGroup

// stepAttached attaches to job, which runs on after each session.
func stepAttached(job *testprog.Job) stepOpen {
	return func(tb testing.TB, kind string) *proc.TargetGroup {
		tb.Helper()
		benchReady(tb, job)
		grp, err := benchAttach(kind, job.Pid)
		if err != nil {
			tb.Fatalf("%s: attach %d: %v", kind, job.Pid, err)
		}
		tb.Cleanup(func() {
			if ok, _ := grp.Valid(); ok {
				if err := grp.Detach(false); err != nil {
					tb.Errorf("%s: detach %d: %v", kind, job.Pid, err)
				}
			}
		})
		return stepToMarker(tb, kind, grp)
	}
}

// stepLaunched launches dapprog as the DAP tests do (-period 1ms), a new
// process per session, killed at cleanup: the first stop comes while the
// runtime is still starting threads.
func stepLaunched(bin string) stepOpen {
	return func(tb testing.TB, kind string) *proc.TargetGroup {
		tb.Helper()
		launch := backend.Launch
		if kind == benchNative {
			launch = native.Launch
		}
		out := proc.OutputRedirect{Path: filepath.Join(tb.TempDir(), "output")}
		grp, err := launch([]string{bin, "-period", "1ms"}, "", 0, nil, "", "", out, out)
		if err != nil {
			tb.Fatalf("%s: launch %s: %v", kind, bin, err)
		}
		tb.Cleanup(func() {
			if err := grp.Detach(true); err != nil {
				tb.Errorf("%s: kill %s: %v", kind, bin, err)
			}
		})
		return stepToMarker(tb, kind, grp)
	}
}

// stepToMarker sets the user breakpoint on stepMarker's line and continues
// to it: every session starts stepping from there.
func stepToMarker(tb testing.TB, kind string, grp *proc.TargetGroup) *proc.TargetGroup {
	tb.Helper()
	tgt := grp.Selected
	addr := stepMarkerAddr(tb, tgt)
	if _, err := tgt.SetBreakpoint(1, addr, proc.UserBreakpoint, nil); err != nil {
		tb.Fatalf("%s: breakpoint at %#x: %v", kind, addr, err)
	}
	if err := grp.Continue(); err != nil {
		tb.Fatalf("%s: continue to the breakpoint: %v", kind, err)
	}
	if bp := tgt.CurrentThread().Breakpoint().Breakpoint; bp == nil || bp.Addr != addr {
		tb.Fatalf("%s: Continue stopped at %v, want the breakpoint at %#x", kind, bp, addr)
	}
	return grp
}

// stepMarkerAddr returns the address of stepMarker's line in main.work,
// reading the source file the binary names.
func stepMarkerAddr(tb testing.TB, tgt *proc.Target) uint64 {
	tb.Helper()
	entry, err := proc.FindFunctionLocation(tgt, "main.work", 0)
	if err != nil {
		tb.Fatal(err)
	}
	file, _, _ := tgt.BinInfo().PCToLine(entry[0])
	f, err := os.Open(file)
	if err != nil {
		tb.Fatalf("source of main.work: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		if strings.HasSuffix(sc.Text(), stepMarker) {
			addrs, err := proc.FindFileLocation(tgt, file, n)
			if err != nil {
				tb.Fatalf("%s:%d: %v", file, n, err)
			}
			return addrs[0]
		}
	}
	tb.Fatalf("%s: no line ending in %q", file, stepMarker)
	return 0
}

// stepOnce makes one step of mode and returns where it landed.
func stepOnce(grp *proc.TargetGroup, mode string, prev landing) (landing, error) {
	var err error
	if mode == stepStep && prev.fn != "main.main" {
		err = grp.Step()
	} else {
		err = grp.Next()
	}
	if err != nil {
		return landing{}, fmt.Errorf("%s from %v: %w", mode, prev, err)
	}
	return here(grp)
}

// here is the current landing of grp.
func here(grp *proc.TargetGroup) (landing, error) {
	tgt := grp.Selected
	loc, err := proc.ThreadLocation(tgt.CurrentThread())
	if err != nil {
		return landing{}, fmt.Errorf("location: %w", err)
	}
	l := landing{pc: loc.PC, line: loc.Line, reason: tgt.StopReason, goid: -1}
	if loc.Fn != nil {
		l.fn = loc.Fn.Name
	}
	if g := tgt.SelectedGoroutine(); g != nil {
		l.goid = g.ID
	}
	return l, nil
}

// stepLandings opens a session of kind and makes n steps of mode from the
// breakpoint, returning the landings, the first stop included (index 0).
// start runs just before the first step and stop just after the last:
// the benchmark's timer.
func stepLandings(tb testing.TB, kind, mode string, open stepOpen, n int, start, stop func()) []landing {
	tb.Helper()
	grp := open(tb, kind)
	first, err := here(grp)
	if err != nil {
		tb.Fatalf("%s: %v", kind, err)
	}
	ls := make([]landing, 1, n+1)
	ls[0] = first
	start()
	for i := 0; i < n; i++ {
		l, err := stepOnce(grp, mode, ls[len(ls)-1])
		if err != nil {
			stop()
			tb.Fatalf("%s: step %d: %v", kind, i+1, err)
		}
		ls = append(ls, l)
	}
	stop()
	return ls
}

// compareLandings returns an error naming the first index at which the
// landings a and b (named na and nb) differ, with both sequences around
// it; nil if they agree over the shorter one.
func compareLandings(a, b []landing, na, nb string) error {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		if a[i] == b[i] {
			continue
		}
		var sb strings.Builder
		fmt.Fprintf(&sb, "landing %d differs: %s %v, %s %v; around it (index: %s | %s):", i, na, a[i], nb, b[i], na, nb)
		for j := max(0, i-8); j < min(n, i+4); j++ {
			mark := " "
			if a[j] != b[j] {
				mark = "*"
			}
			fmt.Fprintf(&sb, "\n%s%5d: %v | %v", mark, j, a[j], b[j])
		}
		return errors.New(sb.String())
	}
	return nil
}

// stepPeriodOf returns the length of the loop's period in landings (the
// distance to the first repeat of the first landing's line), or 0.
func stepPeriodOf(ls []landing) int {
	for i := 1; i < len(ls); i++ {
		if ls[i].pc == ls[0].pc {
			return i
		}
	}
	return 0
}

// stepRun is one run of BenchmarkStepNext's inner function.
type stepRun struct {
	landings []landing
	rate     float64 // steps/s
}

// BenchmarkStepNext times `next` (and `step`, see stepStep) through
// dapprog's loop, b.N steps per run from the user breakpoint, and reports
// steps/s and the debugger's CPU time per step. After both backends ran a mode, every run of each (all of
// -count's) is compared with native's first run of the largest b.N: the
// benchmark fails at the first landing that differs. Run it with
// -benchtime=Nx so that both make the same number of steps.
func BenchmarkStepNext(b *testing.B) {
	open := stepAttached(stepStart(b))
	for _, mode := range []string{stepNext, stepStep} {
		b.Run(mode, func(b *testing.B) {
			var mu sync.Mutex
			runs := map[string][]stepRun{}
			for _, kind := range benchKinds {
				b.Run(kind, func(b *testing.B) {
					var cpu0, cpu1 time.Duration
					ls := stepLandings(b, kind, mode, open, b.N,
						func() { b.ResetTimer(); cpu0 = benchCPU(b) },
						func() { cpu1 = benchCPU(b); b.StopTimer() })
					rate := float64(b.N) / b.Elapsed().Seconds()
					b.ReportMetric(rate, "steps/s")
					// The debugger's own CPU time per step (this process,
					// user and system): what a loaded machine's queueing
					// leaves out of the wall-clock rate.
					b.ReportMetric(float64((cpu1-cpu0).Microseconds())/float64(b.N), "cpu-us/step")
					mu.Lock()
					runs[kind] = append(runs[kind], stepRun{ls, rate})
					mu.Unlock()
				})
			}
			ours, nat := largestRuns(runs[benchOurs]), largestRuns(runs[benchNative])
			if len(ours) == 0 || len(nat) == 0 {
				return
			}
			ref := nat[0].landings
			for _, kind := range benchKinds {
				for i, r := range runs[kind] {
					if err := compareLandings(r.landings, ref, fmt.Sprintf("%s run %d/%d", kind, i+1, len(runs[kind])), "native's first full run"); err != nil {
						b.Fatalf("%s: %v", mode, err)
					}
				}
			}
			ro, rn := medianRate(ours), medianRate(nat)
			b.Logf("%s: landings of %d runs of ours and %d of native equal over %d steps (loop period %d landings); median steps/s ours %.0f, native %.0f: ratio %.2f",
				mode, len(ours), len(nat), len(ref)-1, stepPeriodOf(ref), ro, rn, ro/rn)
		})
	}
}

// largestRuns returns the runs with the most landings.
func largestRuns(rs []stepRun) []stepRun {
	var out []stepRun
	for _, r := range rs {
		switch {
		case len(out) == 0 || len(r.landings) > len(out[0].landings):
			out = []stepRun{r}
		case len(r.landings) == len(out[0].landings):
			out = append(out, r)
		}
	}
	return out
}

// medianRate is the median of the runs' steps/s.
func medianRate(rs []stepRun) float64 {
	rates := make([]float64, 0, len(rs))
	for _, r := range rs {
		rates = append(rates, r.rate)
	}
	slices.Sort(rates)
	if n := len(rates); n%2 == 0 {
		return (rates[n/2-1] + rates[n/2]) / 2
	}
	return rates[len(rates)/2]
}

// TestStepLandingsMatchNative steps through dapprog's loop under ours and
// under native, from the same breakpoint, and fails at the first landing
// that differs: 200 steps in each mode attached to a running program, and
// 40 nexts in a program just launched, as the DAP tests do.
func TestStepLandingsMatchNative(t *testing.T) {
	attached := stepAttached(stepStart(t))
	launched := stepLaunched(testprog.Build(t, "dapprog"))
	for _, c := range []struct {
		name, mode string
		open       stepOpen
		steps      int
	}{
		{"attach/" + stepNext, stepNext, attached, 200},
		{"attach/" + stepStep, stepStep, attached, 200},
		{"launch/" + stepNext, stepNext, launched, 40},
	} {
		t.Run(c.name, func(t *testing.T) {
			results := map[string][]landing{}
			for _, kind := range benchKinds {
				t.Run(kind, func(t *testing.T) {
					results[kind] = stepLandings(t, kind, c.mode, c.open, c.steps, func() {}, func() {})
				})
			}
			ours, nat := results[benchOurs], results[benchNative]
			if len(ours) != c.steps+1 || len(nat) != c.steps+1 {
				t.Fatalf("landings: ours %d, native %d, want %d each", len(ours), len(nat), c.steps+1)
			}
			if err := compareLandings(ours, nat, benchOurs, benchNative); err != nil {
				t.Fatal(err)
			}
			p := stepPeriodOf(ours)
			if p == 0 || p > c.steps/2 {
				t.Fatalf("the first landing, %v, does not recur within %d steps: the loop was not stepped through", ours[0], c.steps/2)
			}
			t.Logf("%d landings equal, loop period %d: %v", len(ours), p, ours[:p])
		})
	}
}
