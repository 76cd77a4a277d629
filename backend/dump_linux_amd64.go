package backend

import (
	"debug/elf"
	"fmt"
	"os"

	"github.com/go-delve/delve/pkg/elfwriter"
	"github.com/go-delve/delve/pkg/proc/linutil"
	"golang.org/x/sys/unix"
)

// prstatusAMD64 is the kernel's struct elf_prstatus on x86-64 (the
// NT_PRSTATUS note of one thread), 336 bytes.
type prstatusAMD64 struct {
	Signo, Code, Errno           int32
	Cursig                       uint16
	_                            [2]uint8
	Sigpend, Sighold             uint64
	Pid, Ppid, Pgrp, Sid         int32
	Utime, Stime, CUtime, CStime unix.Timeval
	Reg                          linutil.AMD64PtraceRegs
	Fpvalid                      int64
}

const (
	ntAuxv       elf.NType = 6
	ntX86XstateN elf.NType = ntX86Xstate
)

// DumpProcessNotes writes the notes of a Linux core, as the kernel does:
// NT_PRPSINFO and NT_AUXV for the process, then per thread NT_PRSTATUS
// (general registers), NT_FPREGSET (the legacy FP area) and NT_X86_XSTATE.
// The current thread comes first: readers (gdb, Delve) start there.
func (p *Process) DumpProcessNotes(notes []elfwriter.Note, threadDone func()) (bool, []elfwriter.Note, error) {
	if ok, err := p.Valid(); !ok {
		return false, notes, err
	}
	if err := p.needStopped(); err != nil {
		return false, notes, err
	}
	info := p.processInfo()
	notes = append(notes, elfwriter.Note{Type: elf.NT_PRPSINFO, Data: noteBytes(info)})
	if auxv, err := os.ReadFile(fmt.Sprintf("/proc/%d/auxv", p.pid)); err == nil {
		notes = append(notes, elfwriter.Note{Type: ntAuxv, Data: auxv})
	}
	for _, th := range p.threadsForDump() {
		regs, err := th.Registers()
		if err != nil {
			return false, notes, fmt.Errorf("dump thread %d: %w", th.ID, err)
		}
		// Copy loads the floating point registers too.
		cp, err := regs.Copy()
		if err != nil {
			return false, notes, fmt.Errorf("dump thread %d: %w", th.ID, err)
		}
		r := cp.(*linutil.AMD64Registers)
		st := prstatusAMD64{Pid: int32(th.ID), Ppid: info.Ppid, Pgrp: info.Pgrp, Sid: info.Sid, Reg: *r.Regs, Fpvalid: 1}
		notes = append(notes, elfwriter.Note{Type: elf.NT_PRSTATUS, Data: noteBytes(&st)})
		legacy := noteBytes(&r.Fpregset.AMD64PtraceFpRegs)
		notes = append(notes, elfwriter.Note{Type: elf.NT_FPREGSET, Data: legacy})
		// The XSAVE area starts with the legacy area; some kernels leave
		// the x87 part of what PTRACE_GETREGSET returns empty, so the
		// legacy registers are copied over it.
		xsave := make([]byte, max(len(r.Fpregset.Xsave), 512+64))
		copy(xsave, r.Fpregset.Xsave)
		copy(xsave, legacy)
		notes = append(notes, elfwriter.Note{Type: ntX86XstateN, Data: xsave})
		threadDone()
	}
	return true, notes, nil
}
