//go:build linux

package integration

import (
	"os/exec"
	"regexp"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/dlv-listen/dlv-listen/internal/testprog"
)

// Figures are one debugger's timings on the same program, measured
// through its terminal (so each includes one pty round trip, the same for
// every debugger).
type Figures struct {
	Attach time.Duration // `attach PID` started -> first prompt
	// AttachPause is how long the program was already stopped when the
	// first prompt came: the end of its last counter tick before the
	// prompt -> the prompt. (A debugger stops the program at the prompt;
	// the question is how much of the attach it was stopped for.)
	AttachPause time.Duration
	Halt        time.Duration // Ctrl-C during continue -> prompt (median)
	BreakTrip   time.Duration // continue -> prompt at the next hit of a breakpoint (median)
	MemRead     time.Duration // examinemem of 2 KiB (32 lines, no pager) -> prompt (median)
	Detach      time.Duration // exit/n -> the program untraced and running
}

// figureRounds is how many times the repeated figures are taken.
const figureRounds = 15

// MeasureFigures runs jobprog outside any shell and measures f's Figures
// on it.
func MeasureFigures(t testing.TB, f Flavor) Figures {
	t.Helper()
	var fig Figures
	bin := Program(t, "jobprog")
	c := NewCounter(t)
	cmd := exec.Command(bin, "-out", c.Path)
	Spawn(t, cmd)
	c.Pid = cmd.Process.Pid
	c.WaitAdvance(t, EventTimeout)
	// Both debuggers attach to a settled program (see Attach), and the
	// wait for it is not timed.
	settled := testprog.WaitSettled(c.Pid, testprog.SettleQuiet, StartTimeout)
	if !settled {
		t.Logf("jobprog %d: its threads did not stay the same for %v", c.Pid, testprog.SettleQuiet)
	}

	// Watch the counter at 1 ms resolution during the attach.
	var mu sync.Mutex
	var lastChange time.Time
	stop := make(chan struct{})
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		last := c.Value()
		for {
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
			}
			if v := c.Value(); v != last {
				last = v
				mu.Lock()
				lastChange = time.Now()
				mu.Unlock()
			}
		}
	}()
	start := time.Now()
	d := Attach(t, c.Pid, DebuggerOptions{Flavor: f, Settled: settled})
	prompt := time.Now()
	close(stop)
	<-watched
	fig.Attach = prompt.Sub(start)
	mu.Lock()
	if lastChange.IsZero() {
		lastChange = start
	}
	fig.AttachPause = prompt.Sub(lastChange)
	mu.Unlock()

	var halts, trips, reads []time.Duration
	for i := 0; i < figureRounds; i++ {
		d.Continue(t)
		c.WaitAdvance(t, EventTimeout)
		t0 := time.Now()
		d.Halt(t)
		halts = append(halts, time.Since(t0))
	}
	d.Break(t, "main.tick")
	for i := 0; i < figureRounds; i++ {
		t0 := time.Now()
		out := d.Command("continue", CmdTimeout)
		trips = append(trips, time.Since(t0))
		if !regexp.MustCompile(`\[Breakpoint 1\] main\.tick`).MatchString(out) {
			t.Fatalf("%s: continue did not stop at main.tick: %q", f, out)
		}
	}
	d.Command("clearall", CmdTimeout)
	out := d.Command("print &main.sink", CmdTimeout)
	m := regexp.MustCompile(`\(\*int\)\((0x[0-9a-f]+)\)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("%s: print &main.sink: %q", f, out)
	}
	for i := 0; i < figureRounds; i++ {
		t0 := time.Now()
		out := d.Command("examinemem -count 256 -size 8 -fmt hex "+m[1], CmdTimeout)
		reads = append(reads, time.Since(t0))
		if len(out) < 256*4 {
			t.Fatalf("%s: examinemem printed %d bytes: %q", f, len(out), out)
		}
	}
	t0 := time.Now()
	d.Detach(t)
	WaitUntraced(t, c.Pid, "running", CmdTimeout)
	fig.Detach = time.Since(t0)
	c.WaitAdvance(t, EventTimeout)
	fig.Halt, fig.BreakTrip, fig.MemRead = median(halts), median(trips), median(reads)
	return fig
}

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}
