package debugger

// The goroutine of each thread, for the threads of a state.
//
// Every stop answers the state of every thread (as Delve's does), and
// each thread's goroutine ID comes from proc.GetG in api.ConvertThread:
// proc parses the whole runtime.g through its typed variables (and, for a
// thread on its system stack, runtime.m and the g of m.curg), about 10 us
// of allocation and field look-ups per thread on the machine this was
// measured on, for one number. proc keeps the result for the thread only
// when it finds a goroutine, so idle threads (on g0, no m.curg) are parsed
// again on every state. goroutineID reads the same words with the
// offsets of the same fields, taken once per binary, and gives the ID
// GetG's goroutine would have, or 0 where GetG finds none or fails: the
// same reads must succeed (the whole g, as proc's cached read of it), and
// the same fields must exist (else the fast path is off and GetG answers).

import (
	"encoding/binary"
	"slices"
	"sync"

	"github.com/go-delve/delve/pkg/dwarf/godwarf"
	"github.com/go-delve/delve/pkg/proc"
	"github.com/go-delve/delve/service/api"
)

// gLayout is where GetG's fields are in runtime.g and runtime.m of one
// binary; ok false: something GetG needs is missing, use GetG.
type gLayout struct {
	ok      bool
	gSize   int64
	goidOff int64
	goidLen int64
	mOff    int64 // g.m, a *runtime.m
	curgOff int64 // m.curg, a *runtime.g
}

// gLayouts caches a gLayout per binary (a session's targets may run
// different ones).
type gLayouts struct {
	mu sync.Mutex
	m  map[*proc.BinaryInfo]*gLayout
}

func (ls *gLayouts) of(bi *proc.BinaryInfo) *gLayout {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if l, ok := ls.m[bi]; ok {
		return l
	}
	if ls.m == nil {
		ls.m = make(map[*proc.BinaryInfo]*gLayout)
	}
	l := newGLayout(bi)
	ls.m[bi] = l
	return l
}

// gFields are the fields of runtime.g that proc's parseG needs readable
// (it fails, so GetG finds no goroutine, without any of them), with the
// sub-fields it reads.
var gFields = map[string][]string{
	"sched":        {"pc", "sp"},
	"goid":         nil,
	"gopc":         nil,
	"startpc":      nil,
	"waitsince":    nil,
	"waitreason":   nil,
	"stack":        {"hi", "lo"},
	"atomicstatus": nil,
	"m":            nil,
}

func newGLayout(bi *proc.BinaryInfo) *gLayout {
	l := &gLayout{}
	if bi == nil || bi.Arch == nil || bi.Arch.DerefTLS() || bi.Arch.PtrSize() != 8 {
		return l
	}
	gt, ok := structType(bi, "runtime.g")
	mt, ok2 := structType(bi, "runtime.m")
	if !ok || !ok2 {
		return l
	}
	fields := map[string]*godwarf.StructField{}
	for _, f := range gt.Field {
		fields[f.Name] = f
	}
	for name, subs := range gFields {
		f := fields[name]
		if f == nil {
			return l
		}
		if len(subs) == 0 {
			continue
		}
		st, ok := godwarf.ResolveTypedef(f.Type).(*godwarf.StructType)
		if !ok {
			return l
		}
		for _, sub := range subs {
			if !hasField(st, sub) {
				return l
			}
		}
	}
	goid := fields["goid"]
	goidLen := goid.Type.Size() // a StructField's ByteSize is for bit fields
	if goidLen != 8 && goidLen != 4 {
		return l
	}
	var curg *godwarf.StructField
	for _, f := range mt.Field {
		if f.Name == "curg" {
			curg = f
		}
	}
	m := fields["m"]
	if curg == nil || goid.ByteOffset+goidLen > gt.ByteSize || m.ByteOffset+8 > gt.ByteSize {
		return l
	}
	*l = gLayout{ok: true, gSize: gt.ByteSize, goidOff: goid.ByteOffset, goidLen: goidLen,
		mOff: m.ByteOffset, curgOff: curg.ByteOffset}
	return l
}

func structType(bi *proc.BinaryInfo, name string) (*godwarf.StructType, bool) {
	t, err := bi.FindType(name)
	if err != nil {
		return nil, false
	}
	st, ok := godwarf.ResolveTypedef(t).(*godwarf.StructType)
	return st, ok
}

func hasField(st *godwarf.StructType, name string) bool {
	for _, f := range st.Field {
		if f.Name == name {
			return true
		}
	}
	return false
}

// convertThread is api.ConvertThread, with the goroutine ID read by
// goroutineID instead of parsed by proc.GetG.
func (d *Debugger) convertThread(th proc.Thread, bp *api.Breakpoint) *api.Thread {
	l := d.gLayouts.of(th.BinInfo())
	if !l.ok {
		return api.ConvertThread(th, bp)
	}
	ath, loc := threadAt(th, bp)
	ath.GoroutineID = l.goroutineID(th, loc)
	return ath
}

// convertThreads is convertThread for each of ths (bps[i] the breakpoint
// ths[i] is at), with the reads of each step of goroutineID made for all
// the threads of a process at once where its memory can (rangeReader): one
// system call for the TLS words, one for the g structs, one for the m.curg
// words and one for those g structs, instead of two to four a thread.
func (d *Debugger) convertThreads(ths []proc.Thread, bps []*api.Breakpoint) []*api.Thread {
	out := make([]*api.Thread, len(ths))
	type batchKey struct {
		l   *gLayout
		mem proc.MemoryReadWriter
	}
	batches := map[batchKey]*gidBatch{}
	var order []*gidBatch
	for i, th := range ths {
		l := d.gLayouts.of(th.BinInfo())
		if !l.ok {
			out[i] = api.ConvertThread(th, bps[i])
			continue
		}
		ath, loc := threadAt(th, bps[i])
		out[i] = ath
		k := batchKey{l, th.ProcessMemory()}
		b := batches[k]
		if b == nil {
			b = &gidBatch{l: l, mem: k.mem}
			batches[k] = b
			order = append(order, b)
		}
		b.add(th, loc, ath)
	}
	for _, b := range order {
		b.run()
	}
	return out
}

// rangeReader reads several ranges of memory in one go (the backend's
// process memory, ReadRanges).
type rangeReader interface {
	ReadRanges(bufs [][]byte, addrs []uint64) []bool
}

// gidBatch is goroutineID for the threads of one memory and layout, step
// by step for all of them.
type gidBatch struct {
	l    *gLayout
	mem  proc.MemoryReadWriter
	ths  []*api.Thread // GoroutineID is filled in
	addr []uint64      // the next read of each (0: done, ID 0)
	tls  []bool        // addr is the TLS word holding g's address
}

// add queues th (at loc, nil if unknown), whose converted form is ath.
func (b *gidBatch) add(th proc.Thread, loc *proc.Location, ath *api.Thread) {
	b.ths = append(b.ths, ath)
	addr, tls := b.l.gAddr(th, loc)
	b.addr = append(b.addr, addr)
	b.tls = append(b.tls, tls)
}

// run makes the reads of goroutineID for all the threads: the TLS words,
// the gs, m.curg of those on a system stack, those gs.
func (b *gidBatch) run() {
	words := func(want func(i int) bool) {
		idx, bufs, addrs := b.pending(want, 8)
		ok := readRanges(b.mem, bufs, addrs)
		for k, i := range idx {
			b.addr[i] = 0
			if ok[k] {
				b.addr[i] = binary.LittleEndian.Uint64(bufs[k])
			}
		}
	}
	gs := func() (curgOf []int) {
		idx, bufs, addrs := b.pending(func(int) bool { return true }, int(b.l.gSize))
		ok := readRanges(b.mem, bufs, addrs)
		for k, i := range idx {
			b.addr[i] = 0
			if !ok[k] {
				continue
			}
			if id := b.l.goid(bufs[k]); id != 0 {
				b.ths[i].GoroutineID = id
				continue
			}
			// On the system stack (g0, gsignal): GetG answers m.curg.
			if m := binary.LittleEndian.Uint64(bufs[k][b.l.mOff:]); m != 0 {
				b.addr[i] = m + uint64(b.l.curgOff)
				curgOf = append(curgOf, i)
			}
		}
		return curgOf
	}
	words(func(i int) bool { return b.tls[i] })
	curgOf := gs()
	words(func(i int) bool { return slices.Contains(curgOf, i) })
	for i := range b.addr {
		if !slices.Contains(curgOf, i) {
			b.addr[i] = 0
		}
	}
	gs()
	for i := range b.addr {
		b.addr[i] = 0 // a curg's g that is on a system stack: GetG fails
	}
}

// pending gives, for the threads with a read to make that want selects,
// their indexes and a buffer of size bytes at each one's address.
func (b *gidBatch) pending(want func(i int) bool, size int) (idx []int, bufs [][]byte, addrs []uint64) {
	for i, a := range b.addr {
		if a != 0 && want(i) {
			idx = append(idx, i)
			bufs = append(bufs, make([]byte, size))
			addrs = append(addrs, a)
		}
	}
	return idx, bufs, addrs
}

// readRanges reads the ranges with mem's ReadRanges, or one by one.
func readRanges(mem proc.MemoryReadWriter, bufs [][]byte, addrs []uint64) []bool {
	if rr, ok := mem.(rangeReader); ok {
		return rr.ReadRanges(bufs, addrs)
	}
	ok := make([]bool, len(bufs))
	for i := range bufs {
		n, err := mem.ReadMemory(bufs[i], addrs[i])
		ok[i] = err == nil && n == len(bufs[i])
	}
	return ok
}

// gAddr is where goroutineID starts for th: the address of its g (tls
// false), or of the TLS word that holds it (tls true); 0 if GetG finds no
// goroutine before any read.
func (l *gLayout) gAddr(th proc.Thread, loc *proc.Location) (addr uint64, tls bool) {
	if loc == nil || (loc.Fn != nil && loc.Fn.Name == "runtime.clone") {
		return 0, false // as goroutineID
	}
	regs, err := th.Registers()
	if err != nil {
		return 0, false
	}
	if gaddr, ok := regs.GAddr(); ok {
		return gaddr, false
	}
	off, err := th.BinInfo().GStructOffset(th.ProcessMemory())
	if err != nil {
		return 0, false
	}
	return regs.TLS() + off, true
}

// threadAt is api.ConvertThread without the goroutine, and th's location
// (nil if its registers cannot be read).
func threadAt(th proc.Thread, bp *api.Breakpoint) (*api.Thread, *proc.Location) {
	ath := &api.Thread{ID: th.ThreadID(), Breakpoint: bp}
	loc, err := proc.ThreadLocation(th)
	if err != nil {
		return ath, nil
	}
	ath.PC, ath.File, ath.Line = loc.PC, loc.File, loc.Line
	ath.Function = api.ConvertFunction(loc.Fn)
	return ath, loc
}

// goroutineID is the ID of the goroutine proc.GetG finds for th, 0 if none
// (as api.ConvertThread says it). loc is th's location (nil if unknown).
// GetG's reads, made as a batch of one (gidBatch): the TLS word holding
// g's address, the whole g (as proc's cached read of it), and on the
// system stack (g0, gsignal), where GetG answers m.curg, that word and
// that g.
func (l *gLayout) goroutineID(th proc.Thread, loc *proc.Location) int64 {
	ath := &api.Thread{}
	b := &gidBatch{l: l, mem: th.ProcessMemory()}
	b.add(th, loc, ath)
	b.run()
	return ath.GoroutineID
}

func (l *gLayout) goid(g []byte) int64 {
	if l.goidLen == 4 {
		return int64(binary.LittleEndian.Uint32(g[l.goidOff:]))
	}
	return int64(binary.LittleEndian.Uint64(g[l.goidOff:]))
}
