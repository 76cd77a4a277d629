//go:build linux

package dap_test

// TestStepLandingsMatchStock hunts issue 16's report that a `next` once
// landed in main.main instead of on the next line of work (about 1 run in
// 40): the same editor script against our server and against stock `dlv
// dap` (v1.27.2) on the same dapprog binary, landing for landing.
//
// A session stops at the breakpoint on work's call of inner; then rounds
// of integration.RunLandingRound's scripts (next, stepIn, stepOut), each
// beginning with a continue back to that breakpoint but the first. Around
// each resume the client does what an editor does (landingVariants: ask
// for the top frame only, ask all VS Code asks at a stop, or set a
// breakpoint while the step runs). A landing is the stopped event's reason and the top frame's
// function and line. integration.JudgeLandings judges them: a round of
// ours that differs from its script's reference fails the test; a round
// of stock dlv's that differs is logged as stock dlv's own (a test must
// not fail for another debugger's bug), as is stock dlv failing.
//
// Two kinds of sessions:
//   - long: one session each, dapprog run flat out (-period 0), rounds
//     taking the scripts in turn and the variants by threes, until ours has done the nexts asked for;
//   - fresh: a new session each time, dapprog with -period 1ms as
//     TestCoreSession launches it, a first round of nexts from the stop
//     right after launch (TestCoreSession's situation, where the runtime
//     is still starting), then one round of each script.
//
// Sizes: in the normal suite, a long session of 15 nexts and 1 fresh
// session (a few seconds); with DLV_LISTEN_STRESS=full, long sessions of
// 2,000 nexts and 100 fresh sessions, on a quiet machine and again with
// one core busy (a `yes` this test starts and kills).

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-dap"

	"github.com/dlv-listen/dlv-listen/integration"
)

func TestStepLandingsMatchStock(t *testing.T) {
	if testing.Short() {
		t.Skip("needs stock dlv " + integration.StockDlvVersion + " (skipped in -short mode)")
	}
	nexts, fresh := 15, 1
	if integration.LandingFull() {
		nexts, fresh = 2000, 100
	}
	integration.RunLandingLoads(t, func(t *testing.T) {
		t.Run("long", func(t *testing.T) {
			ours, dlv := landingSessions(t, "-period", "0")
			o, d := landingRounds(t, ours, dlv, func(r int, counts map[string]int) bool { return counts[integration.LandNext] < nexts })
			integration.JudgeLandings(t, o, d)
		})
		t.Run("fresh", func(t *testing.T) {
			var o, d []integration.LandingRound
			for k := 0; k < fresh; k++ {
				t.Run(fmt.Sprint(k), func(t *testing.T) {
					ours, dlv := landingSessions(t, "-period", "1ms")
					ko, kd := landingRounds(t, ours, dlv, func(r int, _ map[string]int) bool { return r < 1+len(integration.LandScripts) })
					for len(kd) < len(ko) {
						kd = append(kd, integration.LandingRound{Err: fmt.Errorf("stock dlv failed earlier")})
					}
					o, d = append(o, ko...), append(d, kd...)
				})
			}
			integration.JudgeLandings(t, o, d)
		})
	})
}

// landingSessions starts a session of ours and one of stock dlv's (nil if
// stock dlv failed to start it: logged, not failed) on dapprog with args,
// both stopped at the breakpoint on work's call of inner.
func landingSessions(t *testing.T, args ...string) (ours, dlv *benchSession) {
	ours = benchStartArgs(t, "ours", false, args...)
	if out := integration.Try(t, func(tb testing.TB) { dlv = benchStartArgs(tb, "dlv", false, args...) }); !out.OK {
		if out.Skipped {
			t.Skip(out.Msg)
		}
		t.Logf("STOCK DLV FAILED to start its session (stock dlv's failure, not ours): %s; ours runs alone", out.Msg)
		dlv = nil
	}
	return ours, dlv
}

// What the client does besides resuming, by rounds of three (one of each
// script):
//   - bare: asks for the top frame at each stop;
//   - ide: asks what VS Code asks at each stop (threads, a 20-frame
//     stackTrace, scopes, the locals);
//   - setbp: sends setBreakpoints (the same breakpoint again) right after
//     each resuming request, as an editor does when a file is saved
//     during a step: the server halts the running step to set it, and
//     must resume the step so that it lands where it would have.
var landingVariants = []string{"bare", "ide", "setbp"}

// landingRounds runs rounds on both sessions while more(round, counts of
// ours' commands so far) says so; the first round begins at the session's
// stop. Rounds take the scripts in turn, and the variants by threes.
func landingRounds(t *testing.T, ours, dlv *benchSession, more func(int, map[string]int) bool) (oursRounds, dlvRounds []integration.LandingRound) {
	counts := map[string]int{}
	for r := 0; more(r, counts); r++ {
		sc := integration.LandScripts[r%len(integration.LandScripts)]
		variant := landingVariants[(r/len(integration.LandScripts))%len(landingVariants)]
		o := integration.RunLandingRound(sc, variant, r > 0, func(cmd string) (integration.Landing, error) { return ours.resumeAndLand(cmd, variant) })
		oursRounds = append(oursRounds, o)
		for _, c := range o.Cmds {
			counts[c]++
		}
		if o.Err != nil {
			t.Errorf("ours failed in round %d (%s, %s): %s", r, sc, variant, o)
			break
		}
		if dlv == nil {
			continue
		}
		d := integration.RunLandingRound(sc, variant, r > 0, func(cmd string) (integration.Landing, error) { return dlv.resumeAndLand(cmd, variant) })
		dlvRounds = append(dlvRounds, d)
		if d.Err != nil {
			t.Logf("STOCK DLV FAILED in round %d (%s, %s; stock dlv's failure, not ours): %s", r, sc, variant, d)
			dlv = nil
		}
	}
	t.Logf("ours: %d rounds, %d next, %d stepIn, %d stepOut, %d continue; stock dlv: %d rounds",
		len(oursRounds), counts[integration.LandNext], counts[integration.LandStepIn], counts[integration.LandStepOut], counts[integration.LandCont], len(dlvRounds))
	return oursRounds, dlvRounds
}

// resumeAndLand sends the resuming request cmd, waits for the stop and
// does what variant says; it returns the landing.
func (s *benchSession) resumeAndLand(cmd, variant string) (integration.Landing, error) {
	switch cmd {
	case integration.LandCont:
		s.c.ContinueRequest(s.tid)
	case integration.LandNext:
		s.c.NextRequest(s.tid)
	case integration.LandStepIn:
		s.c.StepInRequest(s.tid)
	case integration.LandStepOut:
		s.c.StepOutRequest(s.tid)
	default:
		return integration.Landing{}, fmt.Errorf("unknown command %q", cmd)
	}
	var stopped *dap.StoppedEvent
	var err error
	if variant == "setbp" {
		s.c.SetBreakpointsRequest(s.bpFile, []int{s.bpLine})
		stopped, err = s.awaitStopAndBreakpoints()
	} else {
		stopped, err = benchAwait[*dap.StoppedEvent](s)
	}
	if err != nil {
		return integration.Landing{}, err
	}
	ide := variant == "ide"
	s.tid = stopped.Body.ThreadId
	l := integration.Landing{Reason: stopped.Body.Reason}
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
	l.Func, l.Line = top.Name, top.Line
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

// awaitStopAndBreakpoints reads messages until both the stopped event and
// the setBreakpoints response have come, in either order.
func (s *benchSession) awaitStopAndBreakpoints() (*dap.StoppedEvent, error) {
	var stopped *dap.StoppedEvent
	bpDone := false
	s.conn.SetReadDeadline(time.Now().Add(benchTimeout))
	for stopped == nil || !bpDone {
		m, err := dap.ReadProtocolMessage(s.r)
		if err != nil {
			return nil, fmt.Errorf("%s: waiting for the stop and the setBreakpoints response: %w", s.kind, err)
		}
		switch m := m.(type) {
		case *dap.StoppedEvent:
			stopped = m
		case *dap.SetBreakpointsResponse:
			if len(m.Body.Breakpoints) != 1 || !m.Body.Breakpoints[0].Verified {
				return nil, fmt.Errorf("%s: setBreakpoints during a step: %+v", s.kind, m.Body.Breakpoints)
			}
			bpDone = true
		case *dap.ErrorResponse:
			return nil, fmt.Errorf("%s: error response to %s: %s", s.kind, m.Command, m.Message)
		case *dap.TerminatedEvent:
			return nil, fmt.Errorf("%s: the debuggee ended (terminated event)", s.kind)
		}
	}
	return stopped, nil
}

// TestStepEndMeetingHaltIsShown: a setBreakpoints request during a next
// halts the program to set the breakpoint; when that halt meets the
// next's end, proc reports the halt and has already finished the step.
// The server must show the step's end, not resume (which ran on to the
// breakpoint of the loop's next iteration: a lost next) nor call it a
// pause. Each next of work's lines, 40 times, with a setBreakpoints right
// behind it.
func TestStepEndMeetingHaltIsShown(t *testing.T) {
	s := benchStartArgs(t, "ours", false, "-period", "0")
	want := []integration.Landing{
		{Reason: "step", Func: "main.work", Line: s.bpLine + 1},
		{Reason: "step", Func: "main.work", Line: s.bpLine + 2},
		{Reason: "step", Func: "main.main", Line: 0}, // any line of main
	}
	for round := 0; round < 40; round++ {
		if round > 0 {
			if l, err := s.resumeAndLand(integration.LandCont, "setbp"); err != nil || l.Func != "main.work" || l.Line != s.bpLine || l.Reason != "breakpoint" {
				t.Fatalf("round %d: continue with a setBreakpoints behind it: %v, %v; want breakpoint main.work:%d", round, l, err, s.bpLine)
			}
		}
		for i, w := range want {
			l, err := s.resumeAndLand(integration.LandNext, "setbp")
			if err != nil {
				t.Fatalf("round %d, next %d: %v", round, i+1, err)
			}
			if w.Line == 0 {
				w.Line = l.Line
			}
			if l != w {
				t.Fatalf("round %d, next %d with a setBreakpoints behind it: landed %v, want %v", round, i+1, l, w)
			}
		}
	}
}
