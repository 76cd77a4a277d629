package backend

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/go-delve/delve/pkg/elfwriter"
)

// DumpProcessNotes writes the thread notes in Delve's platform-independent
// format, which Delve's native backend has proc write on arm64: it keeps
// the TLS and g address the backend computed (cgo-aware), where a kernel
// NT_PRSTATUS would leave Delve's reader to guess g from x28. It writes
// them itself, rather than letting proc do it, so the current thread comes
// first and a core opens on the thread the session was on. gdb reads the
// memory of such a core but not its threads.
func (p *Process) DumpProcessNotes(notes []elfwriter.Note, threadDone func()) (bool, []elfwriter.Note, error) {
	if err := p.needStopped(); err != nil {
		return false, notes, err
	}
	for _, th := range p.threadsForDump() {
		note, err := delveThreadNote(th)
		if err != nil {
			return false, notes, fmt.Errorf("dump thread %d: %w", th.ID, err)
		}
		notes = append(notes, note)
		threadDone()
	}
	return true, notes, nil
}

// delveThreadNote encodes a thread as proc's dump.go documents the
// format (little endian): id, pc, sp, bp, tls (8 bytes each), has_gaddr
// (1), gaddr (8), the number of registers (4), then each register as
// name length (2), name, value length (2), value.
func delveThreadNote(th *Thread) (elfwriter.Note, error) {
	regs, err := th.Registers()
	if err != nil {
		return elfwriter.Note{}, err
	}
	all, err := regs.Slice(true)
	if err != nil {
		return elfwriter.Note{}, err
	}
	var buf bytes.Buffer
	w := func(v any) { _ = binary.Write(&buf, binary.LittleEndian, v) }
	gaddr, hasGaddr := regs.GAddr()
	w(uint64(th.ID))
	w([]uint64{regs.PC(), regs.SP(), regs.BP(), regs.TLS()})
	w(hasGaddr)
	w(gaddr)
	w(uint32(len(all)))
	for _, r := range all {
		w(uint16(len(r.Name)))
		buf.WriteString(r.Name)
		if r.Reg.Bytes != nil {
			w(uint16(len(r.Reg.Bytes)))
			buf.Write(r.Reg.Bytes)
		} else {
			w(uint16(8))
			w(r.Reg.Uint64Val)
		}
	}
	return elfwriter.Note{Type: elfwriter.DelveThreadNodeType, Data: buf.Bytes()}, nil
}
