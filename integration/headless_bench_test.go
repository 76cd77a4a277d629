//go:build linux

package integration

// Benchmarks of the headless server against stock `dlv --headless`
// (Delve v1.27.2) in the same run, on the same kind of debuggee, through
// Delve's rpc2 client:
//
//   - attach: from starting `<debugger> attach <pid> --headless` to the
//     answer of the first State;
//   - roundtrip: a continue that stops at a breakpoint hit at once (the
//     counter ticking without pause), over the wire;
//   - memory: ExamineMemory of 1 MiB in calls of 64 KiB, the per-call
//     limit of Delve's API.
//
// Each reports the time per op of each debugger (and MB/s for memory) and
// the ratio dlv/dlv-listen (above 1: dlv-listen is faster); the two are
// timed in turns within one loop, so that the load of a shared machine
// weighs on both alike.
//
// The memory figure is bounded by the client: Delve's rpc2 client decodes
// each 64 KiB answer (87 KiB of base64 in JSON) twice, once to find the
// end of the message and once into the value, which costs more CPU than
// the server's read and encoding together.
//
//	go test -run '^$' -bench Headless -benchtime 2s ./integration/

import (
	"bufio"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-delve/delve/service/api"
	"github.com/go-delve/delve/service/rpc2"

	"github.com/dlv-listen/dlv-listen/internal/testprog"
)

// examineChunk is the most ExamineMemory answers in one call.
const examineChunk = 64 << 10

func BenchmarkHeadless(b *testing.B) {
	bins := [2]string{StockDlv(b), dlvListen}

	// The two debuggers are timed in turns, in alternating order, within
	// one loop: the machine's load then weighs on both alike.
	b.Run("attach", func(b *testing.B) {
		var jobs [2]*testprog.Job
		for k := range jobs {
			jobs[k] = testprog.Start(b, "counter", "-workers", "0")
			jobs[k].WaitSettled(b) // before stock dlv attaches (see testprog.WaitSettled)
		}
		interleave(b, 0, func(k int) {
			srv := startServer(b, names[k], bins[k], append([]string{"attach", pidArg(jobs[k].Pid)}, headlessArgs()...)...)
			c := srv.dial(b)
			if _, err := c.GetState(); err != nil {
				b.Fatalf("%s: State: %v", names[k], err)
			}
			b.StopTimer()
			if err := c.Detach(false); err != nil {
				b.Fatalf("Detach: %v", err)
			}
			srv.wait(10 * time.Second)
			waitUntracedPid(b, jobs[k].Pid, 5*time.Second)
			b.StartTimer()
		})
	})

	// Ticking without pause: the breakpoint is hit as soon as the process
	// runs.
	var clients [2]*rpc2.RPCClient
	var bps [2]*api.Breakpoint
	var addrs [2]uint64
	for k := range bins {
		job := testprog.Start(b, "counter", "-workers", "0", "-period", "0")
		job.WaitSettled(b)
		srv := startServer(b, names[k], bins[k], append([]string{"attach", pidArg(job.Pid)}, headlessArgs()...)...)
		c := srv.dial(b)
		bp, err := c.CreateBreakpoint(&api.Breakpoint{FunctionName: "main.tick"})
		if err != nil {
			b.Fatalf("%s: CreateBreakpoint: %v", names[k], err)
		}
		clients[k], bps[k], addrs[k] = c, bp, readableMiB(b, job.Pid)
		b.Cleanup(func() {
			c.ClearBreakpoint(bp.ID)
			detachAll(b, c, srv, job.Pid)
		})
	}
	b.Run("roundtrip", func(b *testing.B) {
		interleave(b, 0, func(k int) {
			st := <-clients[k].Continue()
			if st.Err != nil || st.CurrentThread == nil || st.CurrentThread.Breakpoint == nil || st.CurrentThread.Breakpoint.ID != bps[k].ID {
				b.Fatalf("%s: Continue: %+v, want breakpoint %d", names[k], st, bps[k].ID)
			}
		})
	})
	b.Run("memory", func(b *testing.B) {
		interleave(b, 1<<20, func(k int) {
			for off := uint64(0); off < 1<<20; off += examineChunk {
				mem, _, err := clients[k].ExamineMemory(addrs[k]+off, examineChunk)
				if err != nil || len(mem) != examineChunk {
					b.Fatalf("%s: ExamineMemory %#x: %d bytes, %v", names[k], addrs[k]+off, len(mem), err)
				}
			}
		})
	})
}

var names = [2]string{"dlv", "dlv-listen"}

// interleave runs op(0) (stock dlv) and op(1) (dlv-listen) b.N times each,
// in turns, timing each side (op may stop the timer for its teardown), and
// reports for each the mean and the median time per op, the MB/s of each
// when bytes > 0, and the ratios dlv/dlv-listen of the means and of the
// medians (above 1: dlv-listen is faster). On a loaded machine a few
// outliers move the means; the medians say what a typical call costs.
// The ns/op of the benchmark itself is of the pair.
func interleave(b *testing.B, bytes int64, op func(k int)) {
	var times [2][]time.Duration
	for i := 0; i < b.N; i++ {
		for j := 0; j < 2; j++ {
			k := (i + j) % 2 // alternate which goes first
			b.StartTimer()
			start := b.Elapsed()
			op(k)
			b.StopTimer()
			times[k] = append(times[k], b.Elapsed()-start)
		}
	}
	b.StartTimer()
	var mean, median [2]float64
	for k := range times {
		var sum time.Duration
		for _, d := range times[k] {
			sum += d
		}
		mean[k] = float64(sum.Nanoseconds()) / float64(b.N)
		slices.Sort(times[k])
		median[k] = float64(times[k][len(times[k])/2].Nanoseconds())
		b.ReportMetric(mean[k], names[k]+"-ns/op")
		b.ReportMetric(median[k], names[k]+"-median-ns")
		if bytes > 0 {
			b.ReportMetric(float64(bytes)/1e6/(mean[k]/1e9), names[k]+"-MB/s")
		}
	}
	if mean[1] > 0 && median[1] > 0 {
		b.ReportMetric(mean[0]/mean[1], "ratio")
		b.ReportMetric(median[0]/median[1], "median-ratio")
	}
}

// detachAll detaches c's server and waits for it and the tracer to go.
func detachAll(b *testing.B, c *rpc2.RPCClient, srv *server, pid int) {
	b.Helper()
	if err := c.Detach(false); err != nil {
		b.Fatalf("Detach: %v", err)
	}
	srv.wait(10 * time.Second)
	waitUntracedPid(b, pid, 5*time.Second)
}

// readableMiB returns the start of a readable anonymous mapping of pid of
// at least 1 MiB (Go's heap arena).
func readableMiB(b *testing.B, pid int) uint64 {
	b.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/maps", pid))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// start-end perms offset dev inode [path]
		fields := strings.Fields(sc.Text())
		if len(fields) != 5 || !strings.HasPrefix(fields[1], "rw") {
			continue
		}
		lo, hi, _ := strings.Cut(fields[0], "-")
		start, err1 := strconv.ParseUint(lo, 16, 64)
		end, err2 := strconv.ParseUint(hi, 16, 64)
		if err1 == nil && err2 == nil && end-start >= 1<<20 {
			return start
		}
	}
	b.Fatalf("process %d: no readable anonymous mapping of 1 MiB", pid)
	return 0
}
