//go:build linux

package dap_test

import (
	"testing"
	"time"

	"github.com/dlv-listen/dlv-listen/integration"
)

// BenchmarkDAPStep times `next` over a line and `stepIn` into a call, as an
// editor sends them, on our server and on stock `dlv dap` in turns: from
// the breakpoint on work's call of inner, next (to work's next line) or
// stepIn (into inner); each iteration continues back to the breakpoint
// first, untimed. Every landing of ours is checked against stock's of the
// same iteration (function and line). Goal: at least 1.3x stock's rate.
func BenchmarkDAPStep(b *testing.B) {
	for _, cmd := range []string{integration.LandNext, integration.LandStepIn} {
		b.Run(cmd, func(b *testing.B) {
			dlv, ours := benchStart(b, "dlv"), benchStart(b, "ours")
			var dDlv, dOurs []time.Duration
			for i := 0; i < b.N; i++ {
				var got [2]integration.Landing
				for k, s := range []*benchSession{dlv, ours} {
					if i > 0 {
						if l, err := s.resumeAndLand(integration.LandCont, "bare"); err != nil || l.Line != s.bpLine {
							b.Fatalf("%s: continue to the breakpoint: landed %+v (%v), want line %d", s.kind, l, err, s.bpLine)
						}
					}
					start := time.Now()
					l, err := s.resumeAndLand(cmd, "bare")
					d := time.Since(start)
					if err != nil {
						b.Fatalf("%s: %s: %v", s.kind, cmd, err)
					}
					got[k] = l
					if s == dlv {
						dDlv = append(dDlv, d)
					} else {
						dOurs = append(dOurs, d)
					}
				}
				if got[0].Func != got[1].Func || got[0].Line != got[1].Line {
					b.Fatalf("%s %d: ours landed in %s:%d, stock dlv in %s:%d", cmd, i, got[1].Func, got[1].Line, got[0].Func, got[0].Line)
				}
			}
			mDlv, mOurs := benchMedian(dDlv), benchMedian(dOurs)
			b.ReportMetric(float64(mDlv.Nanoseconds()), "dlv-median-ns")
			b.ReportMetric(float64(mOurs.Nanoseconds()), "ours-median-ns")
			b.ReportMetric(float64(mDlv)/float64(mOurs), "x-dlv-rate")
		})
	}
}
