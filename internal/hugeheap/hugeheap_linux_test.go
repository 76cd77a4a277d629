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
// load does, in a fresh process, and counts the page faults it takes: with
// the heap prepared, most of them are 2 MiB faults.
func TestPrepareServesAllocations(t *testing.T) {
	if os.Getenv(childEnv) != "" {
		if os.Getenv(childEnv) == "prepared" {
			prepare(minSize)
		}
		var before, after unix.Rusage
		unix.Getrusage(unix.RUSAGE_SELF, &before)
		keep := make([][]byte, 0, 32<<10)
		for i := 0; i < 32<<10; i++ {
			b := make([]byte, 1<<10)
			b[0] = 1
			keep = append(keep, b)
		}
		unix.Getrusage(unix.RUSAGE_SELF, &after)
		fmt.Printf("faults %d\n", after.Minflt-before.Minflt)
		runtime.KeepAlive(keep)
		return
	}
	if !madviseMode() || strictOvercommit() {
		t.Skipf("THP is not in madvise mode (%s) or overcommit is strict: Prepare does nothing here", thpEnabled)
	}
	faults := func(mode string) int {
		cmd := exec.Command(os.Args[0], "-test.run", "^TestPrepareServesAllocations$", "-test.count", "1")
		cmd.Env = append(os.Environ(), childEnv+"="+mode, "GOGC=off")
		out, err := cmd.CombinedOutput()
		var n int
		if _, serr := fmt.Sscanf(string(out), "faults %d", &n); err != nil || serr != nil {
			t.Fatalf("child (%s): %v, %v; output:\n%s", mode, err, serr, out)
		}
		return n
	}
	plain, prepared := faults("plain"), faults("prepared")
	t.Logf("page faults for 32 MiB of small objects: %d plain, %d on a prepared heap", plain, prepared)
	if prepared*4 > plain {
		t.Errorf("a prepared heap took %d page faults, a plain one %d: want under a quarter", prepared, plain)
	}
}
