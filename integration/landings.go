//go:build linux

package integration

// Landing comparisons of stepping (issue 16: a `next` once landed in
// main.main instead of on the next line of work): the same stepping
// script through two debuggers (dlv-listen and stock dlv) on dapprog,
// each stop's landing recorded, and every round of a script judged
// against the sequence most rounds of that script have. dapprog's
// control flow is the same on every iteration, so a script's rounds must
// all land alike. Used by service/dap's TestStepLandingsMatchStock (DAP)
// and TestTerminalStepLandingsMatchStock (the terminal).

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// LandingFull reports whether the full sizes are asked for
// (DLV_LISTEN_STRESS=full).
func LandingFull() bool { return os.Getenv("DLV_LISTEN_STRESS") == "full" }

// RunLandingLoads runs body as the subtest "quiet" and, with the full
// sizes, again as "one-core-busy", with one core kept busy by a `yes` it
// starts and kills (by its pid) when the subtest ends.
func RunLandingLoads(t *testing.T, body func(t *testing.T)) {
	t.Run("quiet", body)
	if !LandingFull() {
		return
	}
	t.Run("one-core-busy", func(t *testing.T) {
		yes := exec.Command("yes") // stdout: /dev/null
		if err := yes.Start(); err != nil {
			t.Fatalf("starting yes: %v", err)
		}
		t.Cleanup(func() {
			yes.Process.Kill()
			yes.Wait()
		})
		body(t)
	})
}

// Landing is where a resuming command stopped.
type Landing struct {
	Reason string // why it stopped, as the front end says ("" if it does not)
	Func   string // the top frame's function
	Line   int
}

func (l Landing) String() string {
	return strings.TrimSpace(fmt.Sprintf("%s %s:%d", l.Reason, l.Func, l.Line))
}

// The stepping scripts of a round: after a continue to the breakpoint on
// work's call of inner (but in the first round),
//   - LandNext: next until main.main (work returned);
//   - LandStepIn: step in until main.main, at most LandStepCap times;
//   - LandStepOut: step in (into inner), step out (back to work), step
//     out (to main.main).
const (
	LandNext    = "next"
	LandStepIn  = "stepIn"
	LandStepOut = "stepOut"
	LandCont    = "continue"
	LandStepCap = 12
)

// LandScripts are the scripts, in the order rounds take them.
var LandScripts = []string{LandNext, LandStepIn, LandStepOut}

// LandingRound is what one debugger did in one round.
type LandingRound struct {
	Script   string
	First    bool   // the session's first round: no continue before it
	Variant  string // what the client did besides resuming (e.g. an editor's requests)
	Cmds     []string
	Landings []Landing
	Err      error // the debugger failed in the round
}

func (r LandingRound) String() string {
	var b strings.Builder
	for i, l := range r.Landings {
		if i > 0 {
			b.WriteString(" | ")
		}
		fmt.Fprintf(&b, "%s -> %s", r.Cmds[i], l)
	}
	if r.Err != nil {
		fmt.Fprintf(&b, " | error: %v", r.Err)
	}
	return b.String()
}

// group names the rounds that must land alike: a script's, the first
// rounds apart.
func (r LandingRound) group() string {
	if r.First {
		return r.Script + " (first round)"
	}
	return r.Script
}

func (r LandingRound) key() string {
	var b strings.Builder
	for i, l := range r.Landings {
		fmt.Fprintf(&b, "%s>%s;", r.Cmds[i], l)
	}
	return b.String()
}

// Count returns how many times the round ran cmd.
func (r LandingRound) Count(cmd string) int {
	n := 0
	for _, c := range r.Cmds {
		if c == cmd {
			n++
		}
	}
	return n
}

// RunLandingRound runs one round of script; land runs one command (one of
// LandNext, LandStepIn, LandStepOut, LandCont) and returns the landing.
// cont: begin with a continue.
func RunLandingRound(script, variant string, cont bool, land func(cmd string) (Landing, error)) LandingRound {
	r := LandingRound{Script: script, Variant: variant, First: !cont}
	do := func(cmd string) bool {
		l, err := land(cmd)
		r.Cmds = append(r.Cmds, cmd)
		r.Landings = append(r.Landings, l)
		r.Err = err
		return err == nil
	}
	if cont && !do(LandCont) {
		return r
	}
	inMain := func() bool { return r.Landings[len(r.Landings)-1].Func == "main.main" }
	switch script {
	case LandNext, LandStepIn:
		for i := 0; i < LandStepCap && do(script) && !inMain(); i++ {
		}
	case LandStepOut:
		_ = do(LandStepIn) && do(LandStepOut) && do(LandStepOut)
	default:
		r.Err = fmt.Errorf("unknown landing script %q", script)
	}
	return r
}

// JudgeLandings judges the rounds of ours and of stock, paired by index
// (the same scripts in the same order; a stock round that failed has
// Err set, and stock may have fewer rounds): a round of ours whose
// landings differ from its group's reference (the sequence most rounds of
// its script, the sessions' first rounds apart, have on both debuggers)
// fails t; a round of stock's that differs is logged as stock dlv's own.
// Each difference is reported with its round, the reference and both
// debuggers' landings.
func JudgeLandings(t testing.TB, ours, stock []LandingRound) {
	t.Helper()
	ref := map[string]string{}
	votes := map[string]map[string]int{}
	sample := map[string]LandingRound{}
	var groups []string
	for _, r := range append(append([]LandingRound(nil), ours...), stock...) {
		if r.Err != nil {
			continue
		}
		g := r.group()
		if votes[g] == nil {
			votes[g] = map[string]int{}
			groups = append(groups, g)
		}
		k := r.key()
		votes[g][k]++
		sample[k] = r
		if votes[g][k] > votes[g][ref[g]] {
			ref[g] = k
		}
	}
	for _, g := range groups {
		t.Logf("%s: %d distinct sequences; reference (%d rounds): %s", g, len(votes[g]), votes[g][ref[g]], sample[ref[g]])
	}
	differ := 0
	for i, o := range ours {
		var s *LandingRound
		if i < len(stock) {
			s = &stock[i]
		}
		oursOK := o.Err == nil && o.key() == ref[o.group()]
		stockOK := s == nil || s.Err != nil || s.key() == ref[s.group()]
		if oursOK && stockOK {
			continue
		}
		differ++
		ctx := fmt.Sprintf("round %d (%s, %s)\n  reference: %s\n  ours:      %s", i, o.group(), o.Variant, sample[ref[o.group()]], o)
		if s != nil {
			ctx += fmt.Sprintf("\n  stock dlv: %s", *s)
		}
		if !oursOK {
			t.Errorf("OUR LANDINGS DIFFER in %s", ctx)
		} else {
			t.Logf("STOCK DLV's OWN LANDINGS DIFFER (not ours) in %s", ctx)
		}
	}
	t.Logf("%d rounds judged, %d with a differing landing", len(ours), differ)
}
