package backend

import (
	"encoding/binary"
	"math/bits"
	"unsafe"

	"github.com/go-delve/delve/pkg/proc"
	"github.com/go-delve/delve/pkg/proc/linutil"
	"golang.org/x/arch/x86/x86asm"
	"golang.org/x/sys/unix"
)

// Stepping over a breakpoint lifts the int3, single-steps the thread (a
// wake-up of the thread and a report back to the tracer) and plants the
// int3 again: most of the cost of resuming from a breakpoint, 200 us and
// more of a round trip here. Where the replaced instruction is one of the
// few whose whole effect is simple and written down (Intel SDM vol. 2), the
// debugger executes it instead, and the int3 never leaves, so no other
// thread can run past the breakpoint unseen meanwhile. These are the
// instructions proc's breakpoints sit on in Go code: a function's
// breakpoint on the SUB RSP that makes its frame (or the PUSH RBP before
// it), a line's on the load, store or LEA that starts it (the compiler
// works on the stack: MOV r64, [RSP+d]), a return address's after a CALL.
//
// Emulated, with 64-bit operands only and no prefix but REX:
//   - MOV between 64-bit registers, immediates and 64-bit memory;
//   - LEA r64, m;
//   - PUSH r64: RSP -= 8, [RSP] = r64;
//   - ADD and SUB r64, imm: the result and OF, SF, ZF, AF, PF, CF;
//   - CALL rel32: RSP -= 8, [RSP] = the next instruction, RIP = target.
//
// Memory is read with process_vm_readv and written with
// process_vm_writev, which, unlike /proc/PID/mem, honour page protections
// and do not grow a stack: an access the CPU would fault on (or that would
// grow the stack) is refused, and the CPU's own step runs instead and
// faults as it should.

// emulateStepOvers can be turned off by tests, which compare the
// emulation with the CPU's own step.
var emulateStepOvers = true

// EFLAGS bits ADD and SUB write.
const (
	flagCF    = 1 << 0
	flagPF    = 1 << 2
	flagAF    = 1 << 4
	flagZF    = 1 << 6
	flagSF    = 1 << 7
	flagOF    = 1 << 11
	flagsArit = flagCF | flagPF | flagAF | flagZF | flagSF | flagOF
)

// maxInstLen is the longest x86 instruction.
const maxInstLen = 15

// emulateStepOver executes the instruction the breakpoint bp replaces, if
// it is one of the above, and reports whether it did. It declines, having
// changed nothing the CPU's step would not redo, when a hardware
// watchpoint is set (an access could hit it, and only the CPU reports
// that), or when a memory access is refused. Tracer thread, th held.
func (p *Process) emulateStepOver(th *Thread, bp *proc.Breakpoint) (bool, error) {
	if !emulateStepOvers || len(bp.OriginalData) != 1 || p.watchpointsSet() {
		return false, nil
	}
	inst, ok := p.instructionAt(bp)
	if !ok {
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
	e := emulation{p: p, regs: *r.Regs, next: bp.Addr + uint64(inst.Len)}
	if !e.run(inst) {
		return false, nil
	}
	saved := *r.Regs
	*r.Regs = e.regs
	if err := th.writeGPRegs(r); err != nil {
		// The thread's registers are as they were; a store went where
		// the CPU's step will store the same again.
		*r.Regs = saved
		return false, nil
	}
	p.emulatedStepOvers++
	return true, nil
}

// instructionAt decodes the instruction bp replaced: its first byte is
// bp's, the rest is in memory, unless (wrongly) another breakpoint sits
// inside it.
func (p *Process) instructionAt(bp *proc.Breakpoint) (x86asm.Inst, bool) {
	var code [maxInstLen]byte
	code[0] = bp.OriginalData[0]
	n, _ := p.readMemory(code[1:], bp.Addr+1)
	inst, err := x86asm.Decode(code[:1+n], 64)
	if err != nil || p.plantedWithin(bp.Addr+1, bp.Addr+uint64(inst.Len)) {
		return x86asm.Inst{}, false
	}
	for _, pre := range inst.Prefix {
		if pre == 0 {
			break
		}
		if !pre.IsREX() {
			return x86asm.Inst{}, false // segment, size, lock, rep, VEX...
		}
	}
	return inst, true
}

// emulation is one instruction executed on a copy of a thread's
// registers; memory is written as it goes, only once nothing can refuse.
type emulation struct {
	p    *Process
	regs linutil.AMD64PtraceRegs
	next uint64 // the address of the next instruction
}

// run executes inst and reports whether it could.
func (e *emulation) run(inst x86asm.Inst) bool {
	// PUSH and CALL work on 64 bits in 64-bit mode whatever DataSize
	// says (no operand-size prefix got here); the others need REX.W.
	wide := inst.DataSize == 64 || inst.Op == x86asm.PUSH || inst.Op == x86asm.CALL
	if !wide || (inst.MemBytes != 0 && inst.MemBytes != 8) {
		return false
	}
	a := inst.Args
	e.regs.Rip = e.next
	switch inst.Op {
	case x86asm.MOV:
		switch dst := a[0].(type) {
		case x86asm.Reg:
			v, ok := e.value(a[1])
			return ok && e.set(dst, v)
		case x86asm.Mem:
			addr, ok := e.address(dst)
			if !ok {
				return false
			}
			v, ok := e.value(a[1])
			if !ok {
				return false
			}
			if _, isMem := a[1].(x86asm.Mem); isMem {
				return false
			}
			return e.store(addr, v)
		}
	case x86asm.LEA:
		dst, ok := a[0].(x86asm.Reg)
		m, isMem := a[1].(x86asm.Mem)
		if !ok || !isMem {
			return false
		}
		addr, ok := e.address(m)
		return ok && e.set(dst, addr)
	case x86asm.PUSH:
		src, ok := a[0].(x86asm.Reg)
		if !ok {
			return false
		}
		v, ok := e.value(src)
		return ok && e.push(v)
	case x86asm.ADD, x86asm.SUB:
		dst, ok := a[0].(x86asm.Reg)
		imm, isImm := a[1].(x86asm.Imm)
		if !ok || !isImm {
			return false
		}
		v, ok := e.value(dst)
		if !ok {
			return false
		}
		var res uint64
		if inst.Op == x86asm.SUB {
			res, e.regs.Eflags = subFlags(v, uint64(imm), e.regs.Eflags)
		} else {
			res, e.regs.Eflags = addFlags(v, uint64(imm), e.regs.Eflags)
		}
		return e.set(dst, res)
	case x86asm.CALL:
		rel, ok := a[0].(x86asm.Rel)
		if !ok || !e.push(e.next) {
			return false
		}
		e.regs.Rip = e.next + uint64(int64(rel))
		return true
	}
	return false
}

// gpr returns the register r names, if it is a 64-bit general register.
func (e *emulation) gpr(r x86asm.Reg) *uint64 {
	g := &e.regs
	switch r {
	case x86asm.RAX:
		return &g.Rax
	case x86asm.RCX:
		return &g.Rcx
	case x86asm.RDX:
		return &g.Rdx
	case x86asm.RBX:
		return &g.Rbx
	case x86asm.RSP:
		return &g.Rsp
	case x86asm.RBP:
		return &g.Rbp
	case x86asm.RSI:
		return &g.Rsi
	case x86asm.RDI:
		return &g.Rdi
	case x86asm.R8:
		return &g.R8
	case x86asm.R9:
		return &g.R9
	case x86asm.R10:
		return &g.R10
	case x86asm.R11:
		return &g.R11
	case x86asm.R12:
		return &g.R12
	case x86asm.R13:
		return &g.R13
	case x86asm.R14:
		return &g.R14
	case x86asm.R15:
		return &g.R15
	}
	return nil
}

func (e *emulation) set(r x86asm.Reg, v uint64) bool {
	dst := e.gpr(r)
	if dst == nil {
		return false
	}
	*dst = v
	return true
}

// value reads a source operand: a 64-bit register, an immediate (as the
// decoder sign-extended it), or 64-bit memory.
func (e *emulation) value(arg x86asm.Arg) (uint64, bool) {
	switch a := arg.(type) {
	case x86asm.Reg:
		if src := e.gpr(a); src != nil {
			return *src, true
		}
	case x86asm.Imm:
		return uint64(a), true
	case x86asm.Mem:
		addr, ok := e.address(a)
		if !ok {
			return 0, false
		}
		var word [8]byte
		if !e.p.loadAsCPU(addr, word[:]) {
			return 0, false
		}
		return binary.LittleEndian.Uint64(word[:]), true
	}
	return 0, false
}

// address computes a memory operand's effective address: base, index
// times scale and displacement, RIP-relative from the next instruction;
// no segment.
func (e *emulation) address(m x86asm.Mem) (uint64, bool) {
	if m.Segment != 0 {
		return 0, false
	}
	var addr uint64
	switch m.Base {
	case 0:
	case x86asm.RIP:
		addr = e.next
	default:
		b := e.gpr(m.Base)
		if b == nil {
			return 0, false
		}
		addr = *b
	}
	if m.Index != 0 {
		x := e.gpr(m.Index)
		if x == nil {
			return 0, false
		}
		addr += *x * uint64(m.Scale)
	}
	return addr + uint64(m.Disp), true
}

func (e *emulation) store(addr, v uint64) bool {
	var word [8]byte
	binary.LittleEndian.PutUint64(word[:], v)
	return e.p.storeAsCPU(addr, word[:])
}

func (e *emulation) push(v uint64) bool {
	sp := e.regs.Rsp - 8
	if !e.store(sp, v) {
		return false
	}
	e.regs.Rsp = sp
	return true
}

// subFlags returns a-b and the flags the CPU leaves after SUB of 64-bit
// operands: the arithmetic flags from the result, the others kept.
func subFlags(a, b, flags uint64) (uint64, uint64) {
	res := a - b
	flags = resultFlags(a, b, res, flags)
	if a < b {
		flags |= flagCF
	}
	if ((a^b)&(a^res))>>63 != 0 {
		flags |= flagOF
	}
	return res, flags
}

// addFlags is subFlags for ADD.
func addFlags(a, b, flags uint64) (uint64, uint64) {
	res := a + b
	flags = resultFlags(a, b, res, flags)
	if res < a {
		flags |= flagCF
	}
	if (^(a^b)&(a^res))>>63 != 0 {
		flags |= flagOF
	}
	return res, flags
}

// resultFlags clears the arithmetic flags and sets PF, AF, ZF and SF,
// which ADD and SUB set alike from the result.
func resultFlags(a, b, res, flags uint64) uint64 {
	flags &^= flagsArit
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
	return flags
}

// loadAsCPU and storeAsCPU access the process's memory as a load or store
// of the program would: process_vm_readv and process_vm_writev do not
// force their way into a page the process cannot read or write.
func (p *Process) loadAsCPU(addr uint64, buf []byte) bool {
	return p.vmAccess(unix.SYS_PROCESS_VM_READV, addr, buf)
}

func (p *Process) storeAsCPU(addr uint64, data []byte) bool {
	return p.vmAccess(unix.SYS_PROCESS_VM_WRITEV, addr, data)
}

func (p *Process) vmAccess(call uintptr, addr uint64, buf []byte) bool {
	local := unix.Iovec{Base: &buf[0], Len: uint64(len(buf))}
	remote := remoteIovec{base: uintptr(addr), len: uintptr(len(buf))}
	n, _, errno := unix.Syscall6(call, uintptr(p.pid),
		uintptr(unsafe.Pointer(&local)), 1, uintptr(unsafe.Pointer(&remote)), 1, 0)
	return errno == 0 && int(n) == len(buf)
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
