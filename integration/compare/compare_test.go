//go:build linux

package compare

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/dlv-listen/dlv-listen/integration"
)

func TestMain(m *testing.M) {
	code := m.Run()
	integration.RemoveBuilds()
	os.Exit(code)
}

var flavors = []integration.Flavor{integration.FlavorStockDlv, integration.FlavorDlvListen}

func setup(t *testing.T) {
	if os.Getenv("DLV_LISTEN_COMPARE") != "1" {
		t.Skip("set DLV_LISTEN_COMPARE=1 to run the comparison with stock dlv (a few minutes)")
	}
	integration.StockDlv(t) // install once, or skip
	integration.DlvListen(t)
}

// TestCompareMatrix runs every scenario of the matrix with both debuggers
// and prints which each keeps.
func TestCompareMatrix(t *testing.T) {
	setup(t)

	outcomes := map[int]map[integration.Flavor]integration.Outcome{}
	for _, s := range integration.Matrix {
		outcomes[s.N] = map[integration.Flavor]integration.Outcome{}
		for _, f := range flavors {
			t.Run(fmt.Sprintf("%02d-%s/%s", s.N, s.Name, f), func(t *testing.T) {
				o := integration.Try(t, func(tb testing.TB) { s.Run(tb, f) })
				outcomes[s.N][f] = o
				t.Logf("%s: kept=%v %s", f, o.OK, o.Msg)
			})
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "| # | scenario | dlv %s | dlv-listen |\n| --- | --- | --- | --- |\n", integration.StockDlvVersion)
	for _, s := range integration.Matrix {
		fmt.Fprintf(&b, "| %d | %s | %s | %s |\n", s.N, s.Title,
			cell(outcomes[s.N][integration.FlavorStockDlv]), cell(outcomes[s.N][integration.FlavorDlvListen]))
	}
	t.Logf("scenarios:\n%s", b.String())
	fmt.Println(b.String())
	for _, s := range integration.Matrix {
		if o := outcomes[s.N][integration.FlavorDlvListen]; !o.OK {
			t.Errorf("dlv-listen does not keep scenario %d (%s): %s", s.N, s.Name, o.Msg)
		}
	}
}

// TestCompareFigures measures both debuggers on the same program and
// prints the figures side by side.
func TestCompareFigures(t *testing.T) {
	setup(t)
	figs := map[integration.Flavor]integration.Figures{}
	for _, f := range flavors {
		t.Run(string(f), func(t *testing.T) {
			if f != integration.FlavorStockDlv {
				figs[f] = integration.MeasureFigures(t, f)
				return
			}
			// Stock dlv is the reference: its own failure leaves its
			// column empty and says so, it does not fail the test.
			o := integration.Try(t, func(tb testing.TB) { figs[f] = integration.MeasureFigures(tb, f) })
			if !o.OK {
				t.Skipf("stock dlv %s failed, not dlv-listen; its figures are missing: %s", integration.StockDlvVersion, o.Msg)
			}
		})
	}
	var b strings.Builder
	fmt.Fprintf(&b, "| figure (median of 15 where repeated) | dlv %s | dlv-listen | ratio |\n| --- | --- | --- | --- |\n", integration.StockDlvVersion)
	ms := func(get func(integration.Figures) time.Duration) func(integration.Figures) float64 {
		return func(f integration.Figures) float64 { return get(f).Seconds() * 1e3 }
	}
	row := func(name string, get func(integration.Figures) float64) {
		a, l := get(figs[integration.FlavorStockDlv]), get(figs[integration.FlavorDlvListen])
		ratio := "-"
		if a > 0 && l > 0 {
			ratio = fmt.Sprintf("%.2fx", l/a)
		}
		fmt.Fprintf(&b, "| %s | %.1f ms | %.1f ms | %s |\n", name, a, l, ratio)
	}
	row("attach (to first prompt)", ms(func(f integration.Figures) time.Duration { return f.Attach }))
	row("debuggee already stopped when the prompt came", ms(func(f integration.Figures) time.Duration { return f.AttachPause }))
	row("halt (Ctrl-C to prompt)", ms(func(f integration.Figures) time.Duration { return f.Halt }))
	row("breakpoint round trip (continue to next hit)", ms(func(f integration.Figures) time.Duration { return f.BreakTrip }))
	row("memory read (examinemem 2 KiB)", ms(func(f integration.Figures) time.Duration { return f.MemRead }))
	row("detach (exit/n to untraced and running)", ms(func(f integration.Figures) time.Duration { return f.Detach }))
	t.Logf("figures:\n%s", b.String())
	fmt.Println(b.String())
}

// cell is a table cell: "kept", or "broken: <first failure>".
func cell(o integration.Outcome) string {
	switch {
	case o.OK:
		return "kept"
	case o.Skipped:
		return "skipped: " + short(o.Msg)
	}
	return "**broken**: " + short(o.Msg)
}

var (
	pathRe = regexp.MustCompile(`(/tmp|/dev/shm)/\S+`)
	pidRe  = regexp.MustCompile(`(pid|TracerPid) \d+`)
)

// short is the first line of a failure, without paths and pids, cut to
// fit a table cell.
func short(s string) string {
	s = strings.ReplaceAll(strings.SplitN(s, "\n", 2)[0], "|", "/")
	s = pathRe.ReplaceAllString(s, "…")
	s = pidRe.ReplaceAllString(s, "$1 N")
	if len(s) > 100 {
		s = s[:100] + "…"
	}
	return s
}
