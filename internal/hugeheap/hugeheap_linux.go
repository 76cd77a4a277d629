// Package hugeheap gets transparent huge pages for the part of dlv-listen's
// own Go heap that loading a program's debug information fills.
//
// That load (proc's LoadBinaryInfo and the scans that follow it, at attach,
// launch, core and for a followed child) is the one part of a session that
// allocates in bulk: a 13 MB executable (bigticker) takes a 39 MB heap. In
// a fresh process every 4 KiB page of it is faulted in on first touch, and
// on the virtual machines this project runs on a fault is dear: 44 MB of
// fresh anonymous memory took 170 to 320 ms to touch, about as long as the
// load's own work. With THP in "madvise" mode (the usual default) Go's heap
// gets no huge pages: the runtime advises only its own metadata
// (runtime/mem_linux.go, sysHugePageOS), and maps the heap as it grows. The
// same 44 MB advised MADV_HUGEPAGE took 4 to 68 ms: a 2 MiB fault costs
// little more than a 4 KiB one.
//
// Prepare makes the heap grow once by the size the coming load may need
// (six times the executable's size, 64 to 512 MB, at most an eighth of
// the machine's memory), advises that range MADV_HUGEPAGE, and frees it.
// The memory is fresh from the kernel, so the runtime neither zeroes nor
// touches it. The load's
// allocations then come from those pages (the page allocator takes the
// lowest free addresses first) and fault in 2 MiB at a time. The advice is
// a flag of the mapping, so it outlives the scavenger returning pages
// (MADV_DONTNEED keeps a VMA's flags); Go never maps heap it has mapped
// again.
//
// Nothing is done when THP is "always" (the heap gets huge pages already)
// or "never", under strict overcommit accounting (vm.overcommit_memory=2,
// where a large mapping may be refused, which the runtime cannot survive),
// or with DLV_LISTEN_HUGEPAGES=off in the environment.
package hugeheap

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// OffEnv names the environment variable that turns Prepare off ("off").
const OffEnv = "DLV_LISTEN_HUGEPAGES"

// Bounds of the size prepared for one executable, and the heap one byte of
// executable takes while its debug information loads (bigticker: 13 MB,
// 39 to 67 MB of heap; spawner: 3 MB, 15 to 31 MB).
const (
	minSize      = 64 << 20
	maxSize      = 512 << 20
	heapPerByte  = 6
	thpEnabled   = "/sys/kernel/mm/transparent_hugepage/enabled"
	thpPMDSize   = "/sys/kernel/mm/transparent_hugepage/hpage_pmd_size"
	overcommitVM = "/proc/sys/vm/overcommit_memory"
)

var once sync.Once

// PrepareFor prepares the heap for loading the debug information of the
// executable at path. Only the first call of a process does anything: the
// heap it prepares serves later loads too.
func PrepareFor(path string) {
	once.Do(func() {
		size := int64(minSize)
		if fi, err := os.Stat(path); err == nil {
			size = min(max(fi.Size()*heapPerByte, minSize), maxSize)
		}
		// A mapping larger than the machine's memory is refused under
		// the kernel's heuristic overcommit, and the runtime does not
		// survive a refused heap mapping: stay well below it.
		var si unix.Sysinfo_t
		if unix.Sysinfo(&si) == nil {
			size = min(size, int64(si.Totalram)*int64(si.Unit)/8)
		}
		prepare(int(size))
	})
}

// prepare grows the heap by size, advises it MADV_HUGEPAGE and frees it.
// It returns the advised range (0, 0 when nothing was done).
func prepare(size int) (start, end uintptr) {
	if os.Getenv(OffEnv) == "off" || !madviseMode() || strictOvercommit() {
		return 0, 0
	}
	huge := hugePageSize()
	if size < minSize/2 || huge > size/4 {
		return 0, 0 // arm64 with 64 KiB pages: 512 MiB huge pages
	}
	b := make([]byte, size+huge)
	base := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	start = (base + uintptr(huge) - 1) &^ (uintptr(huge) - 1)
	end = (base + uintptr(len(b))) &^ (uintptr(huge) - 1)
	if end <= start || unix.Madvise(b[start-base:end-base], unix.MADV_HUGEPAGE) != nil {
		start, end = 0, 0
	}
	runtime.KeepAlive(b)
	b = nil
	// Free the range now, in a heap that holds next to nothing yet: the
	// load's first allocations are then served from it.
	runtime.GC()
	return start, end
}

// madviseMode reports whether THP is enabled for advised mappings only.
func madviseMode() bool {
	b, err := os.ReadFile(thpEnabled)
	return err == nil && strings.Contains(string(b), "[madvise]")
}

// strictOvercommit reports whether the kernel accounts every mapping
// against a commit limit (mode 2).
func strictOvercommit() bool {
	b, err := os.ReadFile(overcommitVM)
	return err == nil && strings.TrimSpace(string(b)) == "2"
}

// hugePageSize is the size of a PMD-mapped huge page (2 MiB with 4 KiB
// pages; 32 or 512 MiB on arm64 with larger pages).
func hugePageSize() int {
	if b, err := os.ReadFile(thpPMDSize); err == nil {
		if n, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && n > 0 && n&(n-1) == 0 {
			return n
		}
	}
	return 2 << 20
}
