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
// Each reports ns/op (and MB/s for memory); BenchmarkHeadless prints the
// ratios dlv/dlv-listen (above 1: dlv-listen is faster).
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
	debuggers := []struct{ name, bin string }{
		{"dlv", sbsStockDlv(b)},
		{"dlv-listen", dlvListen},
	}
	results := map[string]float64{} // "metric/debugger" -> ns/op
	record := func(key string, b *testing.B) {
		results[key] = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	}

	for _, d := range debuggers {
		job := testprog.Start(b, "counter", "-workers", "0")
		b.Run("attach/"+d.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				b.StartTimer()
				srv := startServer(b, d.name, d.bin, append([]string{"attach", pidArg(job.Pid)}, headlessArgs()...)...)
				c := srv.dial(b)
				if _, err := c.GetState(); err != nil {
					b.Fatalf("State: %v", err)
				}
				b.StopTimer()
				if err := c.Detach(false); err != nil {
					b.Fatalf("Detach: %v", err)
				}
				srv.wait(10 * time.Second)
				waitUntracedPid(b, job.Pid, 5*time.Second)
			}
			record("attach/"+d.name, b)
		})
	}

	for _, d := range debuggers {
		// Ticking without pause: the breakpoint is hit as soon as the
		// process runs.
		job := testprog.Start(b, "counter", "-workers", "0", "-period", "0")
		srv := startServer(b, d.name, d.bin, append([]string{"attach", pidArg(job.Pid)}, headlessArgs()...)...)
		c := srv.dial(b)
		bp, err := c.CreateBreakpoint(&api.Breakpoint{FunctionName: "main.tick"})
		if err != nil {
			b.Fatalf("%s: CreateBreakpoint: %v", d.name, err)
		}
		b.Run("roundtrip/"+d.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				st := <-c.Continue()
				if st.Err != nil || st.CurrentThread == nil || st.CurrentThread.Breakpoint == nil || st.CurrentThread.Breakpoint.ID != bp.ID {
					b.Fatalf("Continue: %+v, want breakpoint %d", st, bp.ID)
				}
			}
			record("roundtrip/"+d.name, b)
		})
		addr := readableMiB(b, job.Pid)
		b.Run("memory/"+d.name, func(b *testing.B) {
			b.SetBytes(1 << 20)
			for i := 0; i < b.N; i++ {
				for off := uint64(0); off < 1<<20; off += examineChunk {
					mem, _, err := c.ExamineMemory(addr+off, examineChunk)
					if err != nil || len(mem) != examineChunk {
						b.Fatalf("ExamineMemory %#x: %d bytes, %v", addr+off, len(mem), err)
					}
				}
			}
			record("memory/"+d.name, b)
		})
		if _, err := c.ClearBreakpoint(bp.ID); err != nil {
			b.Fatalf("ClearBreakpoint: %v", err)
		}
		detachAll(b, c, srv, job.Pid)
	}

	for _, metric := range []string{"attach", "roundtrip", "memory"} {
		dlv, ours := results[metric+"/dlv"], results[metric+"/dlv-listen"]
		if dlv > 0 && ours > 0 {
			// Printed, not logged: a parent benchmark's log is shown only
			// with -v.
			fmt.Printf("headless %-9s dlv %12.0f ns/op  dlv-listen %12.0f ns/op  ratio dlv/dlv-listen %.2fx\n", metric, dlv, ours, dlv/ours)
		}
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
