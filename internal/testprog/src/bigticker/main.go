// Command bigticker is a large debuggee (Delve's terminal, with the code it
// reaches, is linked in: about 15 MB built with -N -l, so loading its
// debug information takes a debugger hundreds of milliseconds) that ticks
// every millisecond and records how long each tick took to come. A debugger
// that freezes it shows up as one long gap.
//
// Besides the counter file (-out, rewritten every 100 ticks), it keeps
// OUT.gaps, a file it maps shared: little-endian uint64 words, [0] the
// number of ticks, then a ring of gapRing records {end, gap}: the
// wall-clock time of a tick (Unix ns) and the time since the previous tick
// (ns). A reader takes word 0, then the records before it.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"github.com/go-delve/delve/pkg/terminal"
)

// gapRing is the number of records the ring holds (a minute of ticks).
const gapRing = 65536

// bulk keeps Delve's terminal linked in: never true at run time, but the
// linker cannot know.
func bulk() {
	if len(os.Args) > 1<<20 {
		_, _ = terminal.New(nil, nil, false).Run()
		fmt.Println()
	}
}

func writeCounter(path string, n int) {
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	if err := os.WriteFile(tmp, []byte(strconv.Itoa(n)), 0o644); err == nil {
		_ = os.Rename(tmp, path)
	}
}

func main() {
	out := flag.String("out", "", "counter file")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "bigticker: -out is required")
		os.Exit(2)
	}
	bulk()
	const size = 8 * (1 + 2*gapRing)
	f, err := os.OpenFile(*out+".gaps", os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err == nil {
		err = f.Truncate(size)
	}
	var mem []byte
	if err == nil {
		mem, err = syscall.Mmap(int(f.Fd()), 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bigticker:", err)
		os.Exit(2)
	}
	words := unsafe.Slice((*uint64)(unsafe.Pointer(&mem[0])), size/8)
	writeCounter(*out, 1)
	last := time.Now()
	for n := uint64(1); ; n++ {
		time.Sleep(time.Millisecond)
		now := time.Now()
		i := 1 + 2*(n%gapRing)
		atomic.StoreUint64(&words[i], uint64(now.UnixNano()))
		atomic.StoreUint64(&words[i+1], uint64(now.Sub(last)))
		atomic.StoreUint64(&words[0], n)
		last = now
		if n%100 == 0 {
			writeCounter(*out, int(n/100)+1)
		}
	}
}
