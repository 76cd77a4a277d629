//go:build linux

package integration

// TestTerminalStepLandingsMatchStock is service/dap's
// TestStepLandingsMatchStock through the terminal (issue 16: a `next`
// once landed in main.main instead of on the next line of work): `dlv
// exec dapprog` and `dlv-listen exec dapprog`, each in a pty, a
// breakpoint on work's call of inner, then the rounds of RunLandingRound
// (next, step and stepout for its scripts) with, every other three
// rounds, `stack` and `locals` at each stop as a user looks around. A
// landing is the "> [Breakpoint N] FUNC() FILE:LINE" line the terminal
// prints. JudgeLandings judges them: ours differing from a script's
// reference fails the test, stock dlv differing or failing is logged as
// stock dlv's own.
//
// Sizes: 12 nexts in the normal suite; with DLV_LISTEN_STRESS=full, 300
// nexts on a quiet machine and 300 with one core busy (a `yes` this test
// starts and kills).

import (
	"fmt"
	"regexp"
	"strconv"
	"testing"
)

func TestTerminalStepLandingsMatchStock(t *testing.T) {
	if testing.Short() {
		t.Skip("needs `go install` of Delve " + StockDlvVersion + " (skipped in -short mode)")
	}
	nexts := 12
	if LandingFull() {
		nexts = 300
	}
	prog := dapprogBin(t)
	src := dapprogSource(t)
	RunLandingLoads(t, func(t *testing.T) {
		var stock []LandingRound
		out := Try(t, func(tb testing.TB) { stock = terminalLandings(tb, FlavorStockDlv, prog, src, nexts) })
		switch {
		case out.Skipped:
			t.Skip(out.Msg)
		case !out.OK:
			t.Logf("STOCK DLV FAILED (stock dlv's failure, not ours): %s", out.Msg)
		}
		ours := terminalLandings(t, FlavorDlvListen, prog, src, nexts)
		JudgeLandings(t, ours, stock)
	})
}

// terminalLandings runs rounds in a terminal of flavor until it has done
// nexts nexts.
func terminalLandings(t testing.TB, flavor Flavor, prog string, src dapprogLines, nexts int) []LandingRound {
	d := StartDebugger(t, DebuggerOptions{Flavor: flavor, Args: []string{"exec", prog, "--", "-period", "0", "-die-with-parent"}})
	if out := d.Command(fmt.Sprintf("break %s:%d", src.file, src.callInner), CmdTimeout); !regexpMatch(`Breakpoint 1 set at`, out) {
		t.Fatalf("%s: break %s:%d: %q", flavor, src.file, src.callInner, out)
	}
	land := func(cmd string, look bool) (Landing, error) {
		line := map[string]string{LandCont: "continue", LandNext: "next", LandStepIn: "step", LandStepOut: "stepout"}[cmd]
		out := d.Command(line, CmdTimeout)
		l, err := terminalLanding(out)
		if err != nil {
			return l, fmt.Errorf("%s: %s: %w", flavor, line, err)
		}
		if look {
			d.Command("stack", CmdTimeout)
			d.Command("locals", CmdTimeout)
		}
		return l, nil
	}
	// The first round starts at the breakpoint, as the DAP sessions do.
	first, err := land(LandCont, false)
	if err != nil || first.Func != "main.work" || first.Line != src.callInner {
		t.Fatalf("%s: continue to the breakpoint: %v, %v", flavor, first, err)
	}
	var rounds []LandingRound
	n := 0
	for r := 0; n < nexts; r++ {
		sc := LandScripts[r%len(LandScripts)]
		look := (r/len(LandScripts))%2 == 1
		variant := "bare"
		if look {
			variant = "stack+locals"
		}
		round := RunLandingRound(sc, variant, r > 0, func(cmd string) (Landing, error) { return land(cmd, look) })
		rounds = append(rounds, round)
		n += round.Count(LandNext)
		if round.Err != nil {
			t.Errorf("%s failed in round %d: %s", flavor, r, round)
			break
		}
	}
	t.Logf("%s: %d rounds, %d nexts", flavor, len(rounds), n)
	return rounds
}

// landingLine is the terminal's line for the current location after a
// stop: "> [Breakpoint 1] main.work() /path/main.go:50 (hits ...) (PC: 0x...)"
// or "> main.work() /path/main.go:51 (PC: 0x...)", perhaps with a
// "goroutine(N): " before the function.
var landingLine = regexp.MustCompile(`(?m)^> (?:goroutine\(\d+\): )?(\[[^\]]*\] )?(\S+)\(\) \S+:(\d+) `)

// terminalLanding returns the landing a resuming command's output shows:
// reason "breakpoint" after a breakpoint, "step" otherwise.
func terminalLanding(out string) (Landing, error) {
	m := landingLine.FindStringSubmatch(out)
	if m == nil {
		return Landing{}, fmt.Errorf("no location line in %q", out)
	}
	line, _ := strconv.Atoi(m[3])
	reason := "step"
	if m[1] != "" {
		reason = "breakpoint"
	}
	return Landing{Reason: reason, Func: m[2], Line: line}, nil
}

// TestJudgeLandings: the judge fails a round of ours that lands elsewhere
// than its script's other rounds, and only logs one of stock dlv's.
func TestJudgeLandings(t *testing.T) {
	round := func(lines ...int) LandingRound {
		r := LandingRound{Script: LandNext}
		for _, l := range lines {
			fn := "main.work"
			if l == 85 {
				fn = "main.main"
			}
			r.Cmds = append(r.Cmds, LandNext)
			r.Landings = append(r.Landings, Landing{Reason: "step", Func: fn, Line: l})
		}
		return r
	}
	good, bad := round(51, 52, 85), round(85)
	if out := Try(t, func(tb testing.TB) {
		JudgeLandings(tb, []LandingRound{good, bad, good}, []LandingRound{good, good, good})
	}); out.OK {
		t.Errorf("a round of ours landing in main.main after one next passed the judge")
	}
	if out := Try(t, func(tb testing.TB) {
		JudgeLandings(tb, []LandingRound{good, good, good}, []LandingRound{good, bad, good})
	}); !out.OK {
		t.Errorf("a round of stock dlv's own failed the judge: %s", out.Msg)
	}
}
