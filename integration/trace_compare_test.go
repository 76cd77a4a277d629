//go:build linux

package integration

// trace side by side with stock dlv (Delve v1.27.2): the same trace of the
// same binary must print the same lines, once addresses and process ids
// are normalised; and the benchmark of traced calls per second, both
// debuggers in the same run:
//
//	go test -run '^$' -bench TraceCalls -benchtime 5x ./integration/

import (
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/dlv-listen/dlv-listen/internal/testprog"
)

var (
	traceAddr = regexp.MustCompile(`0x[0-9a-f]+`)
	tracePid  = regexp.MustCompile(`Process \d+ has exited`)
)

// normalizeTrace keeps the trace's lines with addresses and the process id
// replaced, without blank lines.
func normalizeTrace(s string) []string {
	var out []string
	for _, l := range lines(s) {
		l = traceAddr.ReplaceAllString(l, "0xADDR")
		out = append(out, tracePid.ReplaceAllString(l, "Process PID has exited"))
	}
	return out
}

// TestTraceSideBySide runs dlv's and dlv-listen's trace of the counter (a
// fixed number of ticks, so both traces are complete) with the same flags
// and compares their stderr line by line.
func TestTraceSideBySide(t *testing.T) {
	stock := StockDlv(t)
	counter := testprog.Build(t, "counter")
	loop := testprog.Build(t, "traceloop")
	counterArgs := func(dir string) []string {
		return []string{"-out", filepath.Join(dir, "c"), "-iterations", "4", "-period", "5ms", "-workers", "0"}
	}
	for _, tc := range []struct {
		bin   string
		flags []string
		args  func(dir string) []string
	}{
		{counter, []string{"main.tick"}, counterArgs},
		{counter, []string{"--stack", "3", "main.helper"}, counterArgs},
		{counter, []string{"--follow-calls", "2", "main.tick"}, counterArgs},
		{counter, []string{"-v", "1", "main.tick"}, counterArgs},
		// A call through a function value, followed when it happens.
		{loop, []string{"--follow-calls", "2", "main.viaValue"}, func(string) []string { return []string{"-n", "3", "-via"} }},
	} {
		t.Run(filepath.Base(tc.bin)+" "+strings.Join(tc.flags, " "), func(t *testing.T) {
			var got [2][]string
			stockFailed := ""
			for k, dbg := range [2]string{stock, dlvListen} {
				dir := t.TempDir()
				args := append([]string{"trace", "--exec", tc.bin}, tc.flags...)
				args = append(append(args, "--"), tc.args(dir)...)
				r := runWith(t, dbg, dir, testprog.Timeout(StartTimeout), args...)
				if r.status != 0 && k == 0 {
					stockFailed = fmt.Sprintf("its trace exited with status %d; stderr:\n%s", r.status, r.stderr)
					continue
				}
				if r.status != 0 {
					t.Fatalf("%s trace exited with status %d; stderr:\n%s", names[k], r.status, r.stderr)
				}
				got[k] = normalizeTrace(r.stderr)
			}
			// The reference must be a trace at all, so that two equal
			// failures cannot pass; if it is not, dlv-listen's must be.
			isTrace := func(l []string) bool {
				return len(l) >= 8 && strings.Contains(strings.Join(l, "\n"), "> goroutine(")
			}
			if stockFailed == "" && !isTrace(got[0]) {
				stockFailed = "its trace has no call lines:\n" + strings.Join(got[0], "\n")
			}
			if stockFailed != "" {
				if !isTrace(got[1]) {
					t.Fatalf("dlv-listen's trace has no call lines either:\n%s", strings.Join(got[1], "\n"))
				}
				t.Skipf("stock dlv %s failed, not dlv-listen (whose trace was not compared): %s", StockDlvVersion, stockFailed)
			}
			if !slices.Equal(got[0], got[1]) {
				t.Errorf("traces differ\n--- dlv\n%s\n--- dlv-listen\n%s", strings.Join(got[0], "\n"), strings.Join(got[1], "\n"))
			}
		})
	}
}

var traceRate = regexp.MustCompile(`traceloop: \d+ calls in \S+: ([0-9.]+) calls/s`)

// BenchmarkTraceCalls measures traced calls per second of a function
// called in a tight loop (traceloop's main.traced: one call and one return
// tracepoint per call), under stock dlv's and dlv-listen's trace, in turns
// within one loop. The program times its loop itself, so loading and
// setting the tracepoints are not counted. It reports each debugger's
// median rate and the ratio dlv-listen/dlv (above 1: dlv-listen is
// faster).
func BenchmarkTraceCalls(b *testing.B) {
	bins := [2]string{StockDlv(b), dlvListen}
	bin := testprog.Build(b, "traceloop")
	const calls = 300
	var rates [2][]float64
	for i := 0; i < b.N; i++ {
		for j := 0; j < 2; j++ {
			k := (i + j) % 2 // alternate which goes first
			dir := b.TempDir()
			r := startTrace(b, bins[k], dir, "trace", "--exec", bin, "main.traced", "--", "-n", strconv.Itoa(calls))
			if st := r.wait(b, 3*StartTimeout); st != 0 {
				b.Fatalf("%s trace exited with status %d; stderr:\n%s", names[k], st, tail(r.stderr.String(), 20))
			}
			m := traceRate.FindStringSubmatch(r.stdout.String())
			if m == nil {
				b.Fatalf("%s: no rate in the program's output %q", names[k], r.stdout.String())
			}
			if n := strings.Count(r.stderr.String(), "> goroutine(1): main.traced("); n != calls {
				b.Fatalf("%s traced %d calls, want %d", names[k], n, calls)
			}
			rate, _ := strconv.ParseFloat(m[1], 64)
			rates[k] = append(rates[k], rate)
		}
	}
	var median [2]float64
	for k := range rates {
		slices.Sort(rates[k])
		median[k] = rates[k][len(rates[k])/2]
		b.ReportMetric(median[k], names[k]+"-calls/s")
	}
	b.ReportMetric(median[1]/median[0], "dlv-listen/dlv")
}
