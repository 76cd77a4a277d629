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
// again on every state. threadGoroutineID reads the same words with the
// offsets of the same fields, taken once per binary, and gives the ID
// GetG's goroutine would have, or 0 where GetG finds none or fails: the
// same reads must succeed (the whole g, as proc's cached read of it), and
// the same fields must exist (else the fast path is off and GetG answers).

import (
	"encoding/binary"
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
// threadGoroutineID instead of parsed by proc.GetG.
func (d *Debugger) convertThread(th proc.Thread, bp *api.Breakpoint) *api.Thread {
	l := d.gLayouts.of(th.BinInfo())
	if !l.ok {
		return api.ConvertThread(th, bp)
	}
	ath, loc := threadAt(th, bp)
	ath.GoroutineID = l.goroutineID(th, loc)
	return ath
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
func (l *gLayout) goroutineID(th proc.Thread, loc *proc.Location) int64 {
	if loc == nil {
		// GetG would fail on the registers too (or not return: it
		// dereferences the location it could not read).
		return 0
	}
	if loc.Fn != nil && loc.Fn.Name == "runtime.clone" {
		return 0 // GetG: TLS is unreliable there
	}
	regs, err := th.Registers()
	if err != nil {
		return 0
	}
	mem := th.ProcessMemory()
	gaddr, ok := regs.GAddr()
	if !ok {
		off, err := th.BinInfo().GStructOffset(mem)
		if err != nil {
			return 0
		}
		if gaddr, err = readWord(mem, regs.TLS()+off); err != nil {
			return 0
		}
	}
	g, ok := l.readG(mem, gaddr)
	if !ok {
		return 0
	}
	if id := l.goid(g); id != 0 {
		return id
	}
	// On the system stack (g0, gsignal): GetG answers m.curg.
	m := binary.LittleEndian.Uint64(g[l.mOff:])
	if m == 0 {
		return 0
	}
	curg, err := readWord(mem, m+uint64(l.curgOff))
	if err != nil {
		return 0
	}
	if g, ok = l.readG(mem, curg); !ok {
		return 0
	}
	return l.goid(g)
}

// readG reads the whole runtime.g at addr, as proc does before it looks
// at any field; false if addr is 0 or the read fails.
func (l *gLayout) readG(mem proc.MemoryReadWriter, addr uint64) ([]byte, bool) {
	if addr == 0 {
		return nil, false
	}
	buf := make([]byte, l.gSize)
	if n, err := mem.ReadMemory(buf, addr); err != nil || n != len(buf) {
		return nil, false
	}
	return buf, true
}

func (l *gLayout) goid(g []byte) int64 {
	if l.goidLen == 4 {
		return int64(binary.LittleEndian.Uint32(g[l.goidOff:]))
	}
	return int64(binary.LittleEndian.Uint64(g[l.goidOff:]))
}

func readWord(mem proc.MemoryReadWriter, addr uint64) (uint64, error) {
	var b [8]byte
	if _, err := mem.ReadMemory(b[:], addr); err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint64(b[:]), nil
}
