//go:build linux

package dap_test

// TestStepLandingsMatchStock hunts issue 16's report that a `next` once
// landed in main.main instead of on the next line of work (about 1 run in
// 40): the same editor script against our server and against stock `dlv
// dap` (v1.27.2) on the same dapprog binary, landing for landing.
//
// A session stops at the breakpoint on work's call of inner; then rounds,
// each one of three scripts, begin with a continue back to that
// breakpoint (but the first):
//
//   - next: next until the landing is in main.main (work returned);
//   - stepIn: stepIn until main.main (through inner and whatever work's
//     second line steps into), at most stepInCap steps;
//   - stepOut: stepIn (into inner), stepOut (back to work), stepOut (to
//     main.main).
//
// After each stop the client asks what an editor asks: either VS Code's
// whole round (threads, a 20-frame stackTrace, scopes, the locals) or the
// bare top frame; the two alternate by rounds. A landing is the stopped
// event's reason and the top frame's function and line.
//
// The program's control flow is the same on every iteration, so each
// script's landings must be the same in every round on both servers: the
// reference of a script is the sequence most of its rounds (on both
// servers) have. A round of ours that differs from it fails the test; a
// round of stock dlv's that differs is logged as stock dlv's own (a test
// must not fail for another debugger's bug), as is stock dlv failing.
//
// Sizes: about 30 nexts (a few seconds) in the normal suite; with
// DLV_LISTEN_STRESS=full, 2,000 nexts (and the stepIn and stepOut rounds
// that go with them) on a quiet machine and 2,000 more with one core
// busy (a `yes` this test starts and kills).

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/google/go-dap"

	"github.com/dlv-listen/dlv-listen/integration"
)

// stepInCap bounds a stepIn round (work's second line steps into the
// runtime's map access).
const stepInCap = 12

type landing struct {
	reason string // the stopped event's
	fn     string // the top frame's
	line   int
}

func (l landing) String() string { return fmt.Sprintf("%s %s:%d", l.reason, l.fn, l.line) }

type landingScript int

const (
	scriptNext landingScript = iota
	scriptStepIn
	scriptStepOut
	nScripts
)

func (sc landingScript) String() string { return [...]string{"next", "stepIn", "stepOut"}[sc] }

// landingRound is what one server did in one round.
type landingRound struct {
	script   landingScript
	ide      bool
	cmds     []string
	landings []landing
	err      error // the server failed in the round
}

func (r landingRound) String() string {
	var b strings.Builder
	for i, l := range r.landings {
		if i > 0 {
			b.WriteString(" | ")
		}
		fmt.Fprintf(&b, "%s -> %s", r.cmds[i], l)
	}
	if r.err != nil {
		fmt.Fprintf(&b, " | error: %v", r.err)
	}
	return b.String()
}

func (r landingRound) key() string {
	var b strings.Builder
	for i, l := range r.landings {
		fmt.Fprintf(&b, "%s>%s;", r.cmds[i], l)
	}
	return b.String()
}

func TestStepLandingsMatchStock(t *testing.T) {
	if testing.Short() {
		t.Skip("needs stock dlv " + integration.StockDlvVersion + " (skipped in -short mode)")
	}
	nexts := 30
	loads := []bool{false}
	if os.Getenv("DLV_LISTEN_STRESS") == "full" {
		nexts = 2000
		loads = []bool{false, true}
	}
	for _, busy := range loads {
		name := "quiet"
		if busy {
			name = "one-core-busy"
		}
		t.Run(name, func(t *testing.T) {
			if busy {
				busyCore(t)
			}
			compareLandings(t, nexts)
		})
	}
}

// busyCore keeps one core busy until the test ends.
func busyCore(t *testing.T) {
	yes := exec.Command("yes") // stdout: /dev/null
	if err := yes.Start(); err != nil {
		t.Fatalf("starting yes: %v", err)
	}
	t.Cleanup(func() {
		yes.Process.Kill()
		yes.Wait()
	})
}

// compareLandings runs rounds on both servers until ours has done nexts
// nexts, then compares them.
func compareLandings(t *testing.T, nexts int) {
	ours := benchStartWith(t, "ours", false)
	var dlv *benchSession
	if out := integration.Try(t, func(tb testing.TB) { dlv = benchStartWith(tb, "dlv", false) }); !out.OK {
		if out.Skipped {
			t.Skip(out.Msg)
		}
		t.Logf("STOCK DLV FAILED to start its session (stock dlv's failure, not ours): %s; ours runs alone", out.Msg)
		dlv = nil
	}
	var oursRounds, dlvRounds []landingRound
	counts := map[string]int{}
	for r := 0; counts["next"] < nexts; r++ {
		sc, ide := landingScript(r%int(nScripts)), (r/int(nScripts))%2 == 1
		o := runLandingRound(ours, r > 0, sc, ide)
		oursRounds = append(oursRounds, o)
		for _, c := range o.cmds {
			counts[c]++
		}
		if o.err != nil {
			t.Errorf("ours failed in round %d (%s, ide=%v): %s", r, sc, ide, o)
			break
		}
		if dlv == nil {
			continue
		}
		d := runLandingRound(dlv, r > 0, sc, ide)
		dlvRounds = append(dlvRounds, d)
		if d.err != nil {
			t.Logf("STOCK DLV FAILED in round %d (%s, ide=%v; stock dlv's failure, not ours): %s", r, sc, ide, d)
			dlv = nil
		}
	}
	t.Logf("ours: %d rounds, %d next, %d stepIn, %d stepOut, %d continue; stock dlv: %d rounds",
		len(oursRounds), counts["next"], counts["stepIn"], counts["stepOut"], counts["continue"], len(dlvRounds))
	judgeLandings(t, oursRounds, dlvRounds)
}

// runLandingRound runs one round of script sc on s.
func runLandingRound(s *benchSession, cont bool, sc landingScript, ide bool) landingRound {
	r := landingRound{script: sc, ide: ide}
	do := func(cmd string) bool {
		l, err := s.resumeAndLand(cmd, ide)
		r.cmds = append(r.cmds, cmd)
		r.landings = append(r.landings, l)
		r.err = err
		return err == nil
	}
	if cont && !do("continue") {
		return r
	}
	inMain := func() bool { return r.landings[len(r.landings)-1].fn == "main.main" }
	switch sc {
	case scriptNext:
		for i := 0; i < stepInCap && do("next") && !inMain(); i++ {
		}
	case scriptStepIn:
		for i := 0; i < stepInCap && do("stepIn") && !inMain(); i++ {
		}
	case scriptStepOut:
		_ = do("stepIn") && do("stepOut") && do("stepOut")
	}
	return r
}

// resumeAndLand sends the resuming request cmd, waits for the stop and
// asks what an editor asks (ide: VS Code's whole round, else the top
// frame only); it returns the landing.
func (s *benchSession) resumeAndLand(cmd string, ide bool) (landing, error) {
	switch cmd {
	case "continue":
		s.c.ContinueRequest(s.tid)
	case "next":
		s.c.NextRequest(s.tid)
	case "stepIn":
		s.c.StepInRequest(s.tid)
	case "stepOut":
		s.c.StepOutRequest(s.tid)
	}
	stopped, err := benchAwait[*dap.StoppedEvent](s)
	if err != nil {
		return landing{}, err
	}
	s.tid = stopped.Body.ThreadId
	l := landing{reason: stopped.Body.Reason}
	if ide {
		s.c.ThreadsRequest()
		if _, err := benchAwait[*dap.ThreadsResponse](s); err != nil {
			return l, err
		}
	}
	levels := 1
	if ide {
		levels = 20
	}
	s.c.StackTraceRequest(s.tid, 0, levels)
	st, err := benchAwait[*dap.StackTraceResponse](s)
	if err != nil {
		return l, err
	}
	if len(st.Body.StackFrames) == 0 {
		return l, fmt.Errorf("%s: empty stack after %s", s.kind, cmd)
	}
	top := st.Body.StackFrames[0]
	l.fn, l.line = top.Name, top.Line
	if !ide {
		return l, nil
	}
	s.c.ScopesRequest(top.Id)
	scopes, err := benchAwait[*dap.ScopesResponse](s)
	if err != nil {
		return l, err
	}
	if len(scopes.Body.Scopes) > 0 {
		s.c.VariablesRequest(scopes.Body.Scopes[0].VariablesReference)
		if _, err := benchAwait[*dap.VariablesResponse](s); err != nil {
			return l, err
		}
	}
	return l, nil
}

// judgeLandings compares the rounds of each script with the sequence most
// of them have: ours differing fails the test, stock dlv differing is
// logged as its own.
func judgeLandings(t *testing.T, ours, dlv []landingRound) {
	ref := map[landingScript]string{}
	votes := map[landingScript]map[string]int{}
	sample := map[string]landingRound{}
	for _, r := range append(ours[1:len(ours):len(ours)], dlv[min(1, len(dlv)):]...) { // round 0 has no continue
		if r.err != nil {
			continue
		}
		if votes[r.script] == nil {
			votes[r.script] = map[string]int{}
		}
		k := r.key()
		votes[r.script][k]++
		sample[k] = r
		if votes[r.script][k] > votes[r.script][ref[r.script]] {
			ref[r.script] = k
		}
	}
	for sc := landingScript(0); sc < nScripts; sc++ {
		t.Logf("%s rounds: %d distinct sequences; reference (%d rounds): %s", sc, len(votes[sc]), votes[sc][ref[sc]], sample[ref[sc]])
	}
	mismatches := 0
	for i := 1; i < len(ours); i++ {
		o := ours[i]
		var d *landingRound
		if i < len(dlv) {
			d = &dlv[i]
		}
		oursOK := o.err == nil && o.key() == ref[o.script]
		dlvOK := d == nil || d.err != nil || d.key() == ref[d.script]
		if oursOK && dlvOK {
			continue
		}
		mismatches++
		ctx := fmt.Sprintf("round %d (%s, ide=%v)\n  reference: %s\n  ours:      %s", i, o.script, o.ide, sample[ref[o.script]], o)
		if d != nil {
			ctx += fmt.Sprintf("\n  stock dlv: %s", *d)
		}
		if !oursOK {
			t.Errorf("OUR LANDINGS DIFFER in %s", ctx)
		} else {
			t.Logf("STOCK DLV's OWN LANDINGS DIFFER (not ours) in %s", ctx)
		}
	}
	t.Logf("%d rounds compared, %d with a differing landing", len(ours)-1, mismatches)
}
