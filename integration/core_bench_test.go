//go:build linux

package integration

// Benchmarks of core files against stock dlv (Delve v1.27.2) in the same
// run, timed in turns (interleave):
//
//   - open: from starting `<debugger> core <exe> <core> --headless` to
//     the answer of the first ListGoroutines, on a kernel-made core of
//     bigticker (a 15 MB program);
//   - dump: DumpStart to the end of DumpWait of a counter holding 100 MiB
//     (-ballast 100), attached through each debugger's headless server,
//     written to the test's temporary directory; MB/s counts the memory
//     dumped (MemTotal).
//
//	go test -run '^$' -bench Core -benchtime 5x ./integration/

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-delve/delve/service/rpc2"

	"github.com/dlv-listen/dlv-listen/internal/testprog"
)

func BenchmarkCore(b *testing.B) {
	bins := [2]string{StockDlv(b), dlvListen}

	b.Run("open", func(b *testing.B) {
		exe, core := testprog.KernelCore(b, "bigticker")
		interleave(b, 0, func(k int) {
			srv := startServer(b, names[k], bins[k], append([]string{"core", exe, core}, headlessArgs()...)...)
			c := srv.dial(b)
			if gs, _, err := c.ListGoroutines(0, 1); err != nil || len(gs) == 0 {
				b.Fatalf("%s: ListGoroutines: %d, %v", names[k], len(gs), err)
			}
			b.StopTimer()
			if err := c.Detach(true); err != nil {
				b.Fatalf("%s: Detach: %v", names[k], err)
			}
			srv.wait(10 * time.Second)
			b.StartTimer()
		})
	})

	b.Run("dump", func(b *testing.B) {
		var clients [2]*rpc2.RPCClient
		for k := range bins {
			job := testprog.Start(b, "counter", "-workers", "0", "-ballast", "100")
			job.WaitSettled(b) // before stock dlv attaches (see testprog.WaitSettled)
			srv := startServer(b, names[k], bins[k], append([]string{"attach", pidArg(job.Pid)}, headlessArgs()...)...)
			clients[k] = srv.dial(b)
			b.Cleanup(func() { detachAll(b, clients[k], srv, job.Pid) })
		}
		dir := b.TempDir()
		dump := func(k int) uint64 {
			path := filepath.Join(dir, names[k]+".core")
			ds, err := clients[k].CoreDumpStart(path)
			for err == nil && ds.Dumping {
				ds = clients[k].CoreDumpWait(1000)
			}
			if err != nil || ds.Err != "" || !ds.AllDone {
				b.Fatalf("%s: dump: %+v, %v", names[k], ds, err)
			}
			return ds.MemTotal
		}
		// One dump each before timing: the size, and the page cache warm
		// for both.
		size := dump(1)
		if other := dump(0); other != size {
			b.Logf("memory dumped: dlv %d bytes, dlv-listen %d", other, size)
		}
		b.ResetTimer()
		interleave(b, int64(size), func(k int) {
			dump(k)
			b.StopTimer()
			os.Remove(filepath.Join(dir, names[k]+".core"))
			b.StartTimer()
		})
	})
}
