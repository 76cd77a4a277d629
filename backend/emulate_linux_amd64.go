package backend

import (
	"encoding/binary"
	"math/bits"
	"unsafe"

	"github.com/go-delve/delve/pkg/proc"
	"github.com/go-delve/delve/pkg/proc/linutil"
	"golang.org/x/sys/unix"
)

// Stepping over a breakpoint lifts the int3, single-steps the thread (a
// wake-up of the thread and a report back to the tracer) and plants the
// int3 again: most of the cost of resuming from a breakpoint. Where the
// replaced instruction is one of the few that open a Go function's frame,
// whose whole effect is written down (Intel SDM vol. 2), the debugger
// executes it instead, and the int3 never leaves, so no other thread can
// run past the breakpoint unseen meanwhile:
//
//   - PUSH RBP (55): RSP -= 8, [RSP] = RBP; no flag changes;
//   - SUB RSP, imm8 (48 83 EC ib) and SUB RSP, imm32 (48 81 EC id), the
//     immediate sign-extended: RSP -= imm, and OF, SF, ZF, AF, PF, CF set
//     from the subtraction as the CPU sets them.
//
// proc puts a function's breakpoint after its stack-check prologue, on the
// SUB that makes the frame of a Go function compiled with frame pointers
// (PUSH RBP; MOV RBP, RSP; SUB RSP, n), or on the PUSH where there is no
// check. Any other instruction is stepped by the CPU.

// Opcodes of the emulated instructions.
const (
	pushRBP   = 0x55
	rexW      = 0x48
	grp1Imm32 = 0x81 // group 1, r/m64, imm32
	grp1Imm8  = 0x83 // group 1, r/m64, imm8
	modrmSubS = 0xec // mod 11, reg 5 (SUB), r/m 4 (RSP)
)

// EFLAGS bits SUB writes.
const (
	flagCF    = 1 << 0
	flagPF    = 1 << 2
	flagAF    = 1 << 4
	flagZF    = 1 << 6
	flagSF    = 1 << 7
	flagOF    = 1 << 11
	flagsArit = flagCF | flagPF | flagAF | flagZF | flagSF | flagOF
)

// emulateStepOvers can be turned off by tests, which compare the
// emulation with the CPU's own step.
var emulateStepOvers = true

// emulateStepOver executes the instruction the breakpoint bp replaces, if
// it is one of the above, and reports whether it did. It declines, having
// changed nothing the CPU's step would not redo, when a hardware
// watchpoint is set (a push could hit it, and only the CPU reports that),
// or when the push's store is refused: process_vm_writev, unlike
// /proc/PID/mem, honours page protections, so a stack the CPU could not
// write either is left to the real step and its fault. Tracer thread, th
// held.
func (p *Process) emulateStepOver(th *Thread, bp *proc.Breakpoint) (bool, error) {
	if !emulateStepOvers || len(bp.OriginalData) == 0 || p.watchpointsSet() {
		return false, nil
	}
	var sub int64 // the SUB's immediate, or 0 for the push
	var size uint64
	switch bp.OriginalData[0] {
	case pushRBP:
		size = 1
	case rexW:
		// The int3 replaced only the first byte; the rest is in memory,
		// unless (wrongly) another breakpoint sits inside the instruction.
		var rest [6]byte
		if _, err := p.readMemory(rest[:], bp.Addr+1); err != nil || p.plantedWithin(bp.Addr+1, bp.Addr+7) {
			return false, nil
		}
		switch {
		case rest[0] == grp1Imm8 && rest[1] == modrmSubS:
			sub, size = int64(int8(rest[2])), 4
		case rest[0] == grp1Imm32 && rest[1] == modrmSubS:
			sub, size = int64(int32(binary.LittleEndian.Uint32(rest[2:6]))), 7
		default:
			return false, nil
		}
	default:
		return false, nil
	}
	regs, err := th.registers()
	if err != nil {
		return false, err
	}
	r := regs.(*linutil.AMD64Registers)
	if r.Regs.Rip != bp.Addr {
		return false, nil
	}
	if size == 1 {
		sp := r.Regs.Rsp - 8
		var word [8]byte
		binary.LittleEndian.PutUint64(word[:], r.Regs.Rbp)
		if !p.storeAsCPU(sp, word[:]) {
			return false, nil
		}
		r.Regs.Rsp = sp
	} else {
		r.Regs.Rsp, r.Regs.Eflags = subFlags(r.Regs.Rsp, uint64(sub), r.Regs.Eflags)
	}
	r.Regs.Rip = bp.Addr + size
	if err := th.writeGPRegs(r); err != nil {
		// Nothing the thread can see changed: the push's store went below
		// the stack pointer, where the CPU's push will store again.
		return false, nil
	}
	p.emulatedStepOvers++
	return true, nil
}

// subFlags returns a-b and the flags the CPU leaves after SUB of 64-bit
// operands: the arithmetic flags from the result, the others kept.
func subFlags(a, b, flags uint64) (uint64, uint64) {
	res := a - b
	flags &^= flagsArit
	if a < b {
		flags |= flagCF
	}
	if bits.OnesCount8(uint8(res))%2 == 0 {
		flags |= flagPF
	}
	if (a^b^res)&0x10 != 0 {
		flags |= flagAF
	}
	if res == 0 {
		flags |= flagZF
	}
	if res>>63 != 0 {
		flags |= flagSF
	}
	if ((a^b)&(a^res))>>63 != 0 {
		flags |= flagOF
	}
	return res, flags
}

// storeAsCPU writes data at addr of the process as a store instruction of
// the program would: process_vm_writev does not force its way into a
// page the process cannot write.
func (p *Process) storeAsCPU(addr uint64, data []byte) bool {
	local := unix.Iovec{Base: &data[0], Len: uint64(len(data))}
	remote := remoteIovec{base: uintptr(addr), len: uintptr(len(data))}
	n, _, errno := unix.Syscall6(unix.SYS_PROCESS_VM_WRITEV, uintptr(p.pid),
		uintptr(unsafe.Pointer(&local)), 1, uintptr(unsafe.Pointer(&remote)), 1, 0)
	return errno == 0 && int(n) == len(data)
}

// watchpointsSet reports whether a hardware watchpoint is planted.
func (p *Process) watchpointsSet() bool {
	p.plantMu.Lock()
	defer p.plantMu.Unlock()
	for _, bp := range p.planted {
		if bp.WatchType != 0 {
			return true
		}
	}
	return false
}

// plantedWithin reports whether a software breakpoint is planted in
// [from, to).
func (p *Process) plantedWithin(from, to uint64) bool {
	p.plantMu.Lock()
	defer p.plantMu.Unlock()
	for a := from; a < to; a++ {
		if bp, ok := p.planted[a]; ok && bp.WatchType == 0 {
			return true
		}
	}
	return false
}
