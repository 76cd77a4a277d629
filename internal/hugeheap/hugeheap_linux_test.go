package hugeheap

import (
	"os/exec"
	"runtime"

	"fmt"
	"golang.org/x/sys/unix"
	"os"
	"strconv"
	"strings"
	"testing"
	"unsafe"
)

// vmFlags returns the VmFlags of the mapping of this process that holds
// addr (/proc/self/smaps).
func vmFlags(t *testing.T, addr uintptr) []string {
	t.Helper()
	b, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	in := false
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) > 0 && strings.Contains(f[0], "-") && !strings.HasSuffix(f[0], ":") {
			r := strings.SplitN(f[0], "-", 2)
			lo, err1 := strconv.ParseUint(r[0], 16, 64)
			hi, err2 := strconv.ParseUint(r[1], 16, 64)
			in = err1 == nil && err2 == nil && uint64(addr) >= lo && uint64(addr) < hi
			continue
		}
		if in && len(f) > 0 && f[0] == "VmFlags:" {
			return f[1:]
		}
	}
	t.Fatalf("no mapping holds %#x", addr)
	return nil
}

func TestPrepareAdvisesHeap(t *testing.T) {
	if !madviseMode() || strictOvercommit() {
		t.Skipf("THP is not in madvise mode (%s) or overcommit is strict: Prepare does nothing here", thpEnabled)
	}
	t.Setenv(OffEnv, "")
	start, end := prepare(minSize)
	if start == 0 || end-start < minSize/2 {
		t.Fatalf("advised %#x-%#x, want at least %d MiB", start, end, minSize>>21)
	}
	for _, a := range []uintptr{start, end - 1} {
		if flags := vmFlags(t, a); !strings.Contains(fmt.Sprint(flags), "hg") {
			t.Errorf("mapping at %#x: VmFlags %v, want hg (MADV_HUGEPAGE)", a, flags)
		}
	}
}

func TestPrepareOff(t *testing.T) {
	t.Setenv(OffEnv, "off")
	if start, end := prepare(minSize); start != 0 || end != 0 {
		t.Fatalf("with %s=off, advised %#x-%#x", OffEnv, start, end)
	}
}

// childEnv runs a test body in a fresh process (a fresh heap, as at
// dlv-listen's start).
const childEnv = "HUGEHEAP_TEST_CHILD"

// TestPrepareServesAllocations allocates 32 MiB in small objects, as a
// load does, in a fresh process, and checks that they land in the advised
// range. The page faults they took are logged: whether the kernel has a
// free huge page for each fault is its own business (defrag, memory
// pressure), so they are not asserted.
func TestPrepareServesAllocations(t *testing.T) {
	if mode := os.Getenv(childEnv); mode != "" {
		var start, end uintptr
		if mode == "prepared" {
			start, end = prepare(minSize)
		}
		var before, after unix.Rusage
		unix.Getrusage(unix.RUSAGE_SELF, &before)
		keep := make([][]byte, 0, 32<<10)
		in := 0
		for i := 0; i < 32<<10; i++ {
			b := make([]byte, 1<<10)
			b[0] = 1
			if p := uintptr(unsafe.Pointer(unsafe.SliceData(b))); p >= start && p < end {
				in++
			}
			keep = append(keep, b)
		}
		unix.Getrusage(unix.RUSAGE_SELF, &after)
		fmt.Printf("faults %d in %d of %d\n", after.Minflt-before.Minflt, in, len(keep))
		runtime.KeepAlive(keep)
		return
	}
	if !madviseMode() || strictOvercommit() {
		t.Skipf("THP is not in madvise mode (%s) or overcommit is strict: Prepare does nothing here", thpEnabled)
	}
	child := func(mode string) (faults, in, n int) {
		cmd := exec.Command(os.Args[0], "-test.run", "^TestPrepareServesAllocations$", "-test.count", "1")
		cmd.Env = append(os.Environ(), childEnv+"="+mode, "GOGC=off")
		out, err := cmd.CombinedOutput()
		if _, serr := fmt.Sscanf(string(out), "faults %d in %d of %d", &faults, &in, &n); err != nil || serr != nil {
			t.Fatalf("child (%s): %v, %v; output:\n%s", mode, err, serr, out)
		}
		return faults, in, n
	}
	plain, _, _ := child("plain")
	prepared, in, n := child("prepared")
	t.Logf("page faults for 32 MiB of small objects: %d on a plain heap, %d on a prepared one", plain, prepared)
	if in < n*9/10 {
		t.Errorf("%d of %d objects allocated after prepare are in the advised range, want nine tenths at least", in, n)
	}
}
