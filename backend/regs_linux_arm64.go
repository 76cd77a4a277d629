package backend

import (
	"debug/elf"
	"fmt"
	"unsafe"

	"github.com/go-delve/delve/pkg/dwarf/op"
	"github.com/go-delve/delve/pkg/proc"
	"github.com/go-delve/delve/pkg/proc/linutil"
	"golang.org/x/sys/unix"
)

// arch is the per-thread register cache of this architecture.
type arch struct {
	cached *linutil.ARM64Registers
}

// Register sets of arm64 (include/uapi/linux/elf.h, read and written with
// PTRACE_GETREGSET/SETREGSET; arm64 has no PTRACE_GETREGS).
const (
	ntPrstatus   = uintptr(elf.NT_PRSTATUS) // struct user_pt_regs: x0-x30, sp, pc, pstate
	ntPrfpreg    = uintptr(elf.NT_FPREGSET) // struct user_fpsimd_state: v0-v31, fpsr, fpcr
	ntArmTLS     = 0x401                    // tpidr_el0, the C thread pointer
	ntArmHWWatch = 0x403                    // struct user_hwdebug_state of the watchpoints
	gpRegsSize   = unsafe.Sizeof(linutil.ARM64PtraceRegs{})
	fpVregsSize  = 32 * 16
	fpRegsSize   = fpVregsSize + 8 // + fpsr, fpcr (and padding to 16)
)

// getRegset reads register set nt of thread tid into buf and returns how
// many bytes the kernel filled.
func getRegset(tid int, nt uintptr, buf unsafe.Pointer, size uintptr) (int, error) {
	iov := unix.Iovec{Base: (*byte)(buf), Len: uint64(size)}
	err := ptrace(unix.PTRACE_GETREGSET, tid, nt, uintptr(unsafe.Pointer(&iov)))
	return int(iov.Len), err
}

func setRegset(tid int, nt uintptr, buf unsafe.Pointer, size uintptr) error {
	iov := unix.Iovec{Base: (*byte)(buf), Len: uint64(size)}
	return ptrace(unix.PTRACE_SETREGSET, tid, nt, uintptr(unsafe.Pointer(&iov)))
}

// readRegisters returns the cached registers, reading them with NT_PRSTATUS on
// the first use after a stop. Floating point is read lazily by proc. The
// g pointer is x28 in Go code (linutil.ARM64Registers.GAddr); in a cgo
// program proc finds it through TLS, tpidr_el0. Tracer thread only.
func (th *Thread) readRegisters() (proc.Registers, error) {
	if th.regs.cached != nil {
		return th.regs.cached, nil
	}
	regs := new(linutil.ARM64PtraceRegs)
	if _, err := getRegset(th.ID, ntPrstatus, unsafe.Pointer(regs), gpRegsSize); err != nil {
		return nil, fmt.Errorf("read registers of thread %d: %w", th.ID, err)
	}
	iscgo := th.p.isCgo()
	var tpidr uint64
	if iscgo {
		if _, err := getRegset(th.ID, ntArmTLS, unsafe.Pointer(&tpidr), unsafe.Sizeof(tpidr)); err != nil {
			return nil, fmt.Errorf("read TLS register of thread %d: %w", th.ID, err)
		}
	}
	th.regs.cached = linutil.NewARM64Registers(regs, iscgo, tpidr, func(r *linutil.ARM64Registers) error {
		var err error
		th.p.tr.do(func() { r.Fpregs, r.Fpregset, err = th.fpRegisters() })
		return err
	})
	return th.regs.cached, nil
}

// isCgo tells whether the program runs Go code on C threads, where g is
// found through TLS instead of x28. Until proc has the target (during
// attach) it is taken as false, as Delve's native backend does.
func (p *Process) isCgo() bool {
	if p.grp == nil || p.grp.Selected == nil || len(p.bi.Images) == 0 || !p.bi.Images[0].IsGo {
		return false
	}
	return p.grp.Selected.IsCgo()
}

// fpRegisters reads v0-v31, fpsr and fpcr (NT_PRFPREG). The whole set is
// kept as Fpregset so SetReg and restoreRegisters write fpsr and fpcr back
// unchanged.
func (th *Thread) fpRegisters() ([]proc.Register, []byte, error) {
	buf := make([]byte, fpRegsSize)
	n, err := getRegset(th.ID, ntPrfpreg, unsafe.Pointer(&buf[0]), fpRegsSize)
	if err == unix.ENODEV {
		return nil, nil, nil // no FP/SIMD unit
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read floating point registers of thread %d: %w", th.ID, err)
	}
	if n < fpRegsSize {
		return nil, nil, fmt.Errorf("read floating point registers of thread %d: short register set (%d bytes)", th.ID, n)
	}
	fp := linutil.ARM64PtraceFpRegs{
		Vregs: buf[:fpVregsSize],
		Fpsr:  *(*uint32)(unsafe.Pointer(&buf[fpVregsSize])),
		Fpcr:  *(*uint32)(unsafe.Pointer(&buf[fpVregsSize+4])),
	}
	regs := fp.Decode()
	regs = proc.AppendUint64Register(regs, "FPSR", uint64(fp.Fpsr))
	regs = proc.AppendUint64Register(regs, "FPCR", uint64(fp.Fpcr))
	return regs, buf, nil
}

func (th *Thread) setPC(pc uint64) error {
	regs, err := th.registers()
	if err != nil {
		return err
	}
	r := regs.(*linutil.ARM64Registers)
	r.Regs.Pc = pc
	return th.writeGPRegs(r.Regs)
}

func (th *Thread) writeGPRegs(regs *linutil.ARM64PtraceRegs) error {
	if err := setRegset(th.ID, ntPrstatus, unsafe.Pointer(regs), gpRegsSize); err != nil {
		th.invalidateRegisters()
		return fmt.Errorf("write registers of thread %d: %w", th.ID, err)
	}
	return nil
}

func (th *Thread) writeFPRegs(fpregset []byte) error {
	if err := setRegset(th.ID, ntPrfpreg, unsafe.Pointer(&fpregset[0]), uintptr(len(fpregset))); err != nil {
		th.invalidateRegisters()
		return fmt.Errorf("write floating point registers of thread %d: %w", th.ID, err)
	}
	return nil
}

// setReg changes one register: x26 is the closure context register, V
// registers carry floating point arguments. Tracer thread, th held.
func (th *Thread) setReg(regNum uint64, reg *op.DwarfRegister) error {
	regs, err := th.registers()
	if err != nil {
		return err
	}
	r := regs.(*linutil.ARM64Registers)
	fpchanged, err := r.SetReg(regNum, reg)
	if err != nil {
		return err
	}
	if err := th.writeGPRegs(r.Regs); err != nil {
		return err
	}
	if fpchanged && len(r.Fpregset) > 0 {
		return th.writeFPRegs(r.Fpregset)
	}
	return nil
}

// restoreRegisters puts back registers saved by proc (after call
// injection). tpidr_el0 is a register set of its own and stays as it is.
func (th *Thread) restoreRegisters(saved proc.Registers) error {
	sr := saved.(*linutil.ARM64Registers)
	th.invalidateRegisters()
	regs := *sr.Regs
	if err := setRegset(th.ID, ntPrstatus, unsafe.Pointer(&regs), gpRegsSize); err != nil {
		return fmt.Errorf("restore registers of thread %d: %w", th.ID, err)
	}
	if len(sr.Fpregset) > 0 {
		if err := setRegset(th.ID, ntPrfpreg, unsafe.Pointer(&sr.Fpregset[0]), uintptr(len(sr.Fpregset))); err != nil {
			return fmt.Errorf("restore floating point registers of thread %d: %w", th.ID, err)
		}
	}
	return nil
}

// inRestartableSyscall is always false on arm64: when a system call is
// interrupted to be restarted, the kernel rewinds pc onto the SVC and puts
// the first argument back into x0 before the ptrace-stop (arch/arm64/kernel/
// signal.c, do_signal: "so that a debugger will see the already changed
// PC"). A thread on a breakpoint at the SVC steps over it with stepSyscall.
func (th *Thread) inRestartableSyscall() bool { return false }

// syscallInstruction is SVC #0, which stepSyscall steps over.
var syscallInstruction = []byte{0x01, 0x00, 0x00, 0xd4}
