package backend

import (
	"bytes"
	"testing"

	"github.com/dlv-listen/dlv-listen/internal/testprog"
)

// TestReadRangesAsOneByOne reads ranges of which one is unmapped, in the
// middle: the call stops there, and each range is read as ReadMemory
// reads it alone, the ranges after the unmapped one too.
func TestReadRangesAsOneByOne(t *testing.T) {
	grp, p := attachInternal(t, testprog.Start(t, "counter", "-workers", "0").Pid)
	tgt := grp.Selected
	text := []uint64{funcEntry(t, tgt, "main.tick"), funcEntry(t, tgt, "main.helper"), funcEntry(t, tgt, "main.main")}
	const unmapped = 0x1000 // below vm.mmap_min_addr
	addrs := []uint64{text[0], text[1], unmapped, text[2], text[0] + 3}
	sizes := []int{16, 1, 8, 32, 0}
	bufs := make([][]byte, len(addrs))
	for i := range bufs {
		bufs[i] = make([]byte, sizes[i])
	}
	ok := processMemory{p}.ReadRanges(bufs, addrs)
	for i, addr := range addrs {
		want := make([]byte, sizes[i])
		n, err := p.readMemory(want, addr)
		wantOK := err == nil && n == len(want)
		if ok[i] != wantOK {
			t.Errorf("range %d (%d bytes at %#x): read %v, ReadMemory alone %v (%v)", i, sizes[i], addr, ok[i], wantOK, err)
		}
		if wantOK && !bytes.Equal(bufs[i], want) {
			t.Errorf("range %d (%d bytes at %#x): % x, ReadMemory alone % x", i, sizes[i], addr, bufs[i], want)
		}
	}
	if ok[2] || !ok[3] {
		t.Fatalf("read %v: want the unmapped range alone unread", ok)
	}
}
