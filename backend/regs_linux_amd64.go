package backend

import (
	"fmt"
	"unsafe"

	"github.com/go-delve/delve/pkg/dwarf/op"
	"github.com/go-delve/delve/pkg/proc"
	"github.com/go-delve/delve/pkg/proc/amd64util"
	"github.com/go-delve/delve/pkg/proc/linutil"
	"github.com/go-delve/delve/pkg/proc/native/cpuid"
	"golang.org/x/sys/unix"
)

// arch is the per-thread register cache of this architecture.
type arch struct {
	cached *linutil.AMD64Registers
}

const ntX86Xstate = 0x202 // NT_X86_XSTATE regset

// readRegisters returns the cached registers, reading them with PTRACE_GETREGS
// on the first use after a stop. Floating point is read lazily by proc.
// Tracer thread only.
func (th *Thread) readRegisters() (proc.Registers, error) {
	if th.regs.cached != nil {
		return th.regs.cached, nil
	}
	var regs linutil.AMD64PtraceRegs
	if err := ptrace(unix.PTRACE_GETREGS, th.ID, 0, uintptr(unsafe.Pointer(&regs))); err != nil {
		return nil, fmt.Errorf("read registers of thread %d: %w", th.ID, err)
	}
	th.regs.cached = linutil.NewAMD64Registers(&regs, func(r *linutil.AMD64Registers) error {
		var err error
		var xstate amd64util.AMD64Xstate
		th.p.tr.do(func() { r.Fpregs, xstate, err = th.fpRegisters() })
		r.Fpregset = &xstate
		return err
	})
	return th.regs.cached, nil
}

func (th *Thread) fpRegisters() ([]proc.Register, amd64util.AMD64Xstate, error) {
	var xs amd64util.AMD64Xstate
	err := ptrace(unix.PTRACE_GETFPREGS, th.ID, 0, uintptr(unsafe.Pointer(&xs.AMD64PtraceFpRegs)))
	if err != nil && err != unix.ENODEV {
		return nil, xs, fmt.Errorf("read floating point registers of thread %d: %w", th.ID, err)
	}
	buf := make([]byte, cpuid.AMD64XstateMaxSize())
	iov := unix.Iovec{Base: &buf[0], Len: uint64(len(buf))}
	err = ptrace(unix.PTRACE_GETREGSET, th.ID, ntX86Xstate, uintptr(unsafe.Pointer(&iov)))
	switch err {
	case nil:
		xs.Xsave = buf[:iov.Len]
		if err := amd64util.AMD64XstateRead(xs.Xsave, false, &xs, cpuid.AMD64XstateZMMHi256Offset()); err != nil {
			return xs.Decode(), xs, fmt.Errorf("decode xstate of thread %d: %w", th.ID, err)
		}
	case unix.ENODEV, unix.EIO, unix.EINVAL:
		// No XSTATE on this CPU or kernel: the legacy FP area is all there is.
	default:
		return nil, xs, fmt.Errorf("read xstate of thread %d: %w", th.ID, err)
	}
	return xs.Decode(), xs, nil
}

func (th *Thread) setPC(pc uint64) error {
	regs, err := th.registers()
	if err != nil {
		return err
	}
	r := regs.(*linutil.AMD64Registers)
	r.Regs.Rip = pc
	return th.writeGPRegs(r)
}

func (th *Thread) writeGPRegs(r *linutil.AMD64Registers) error {
	if err := ptrace(unix.PTRACE_SETREGS, th.ID, 0, uintptr(unsafe.Pointer(r.Regs))); err != nil {
		th.invalidateRegisters()
		return fmt.Errorf("write registers of thread %d: %w", th.ID, err)
	}
	return nil
}

// setReg changes one register, floating point included (xstate). Tracer
// thread, th held.
func (th *Thread) setReg(regNum uint64, reg *op.DwarfRegister) error {
	regs, err := th.registers()
	if err != nil {
		return err
	}
	r := regs.(*linutil.AMD64Registers)
	fpchanged, err := r.SetReg(regNum, reg)
	if err != nil {
		return err
	}
	if err := th.writeGPRegs(r); err != nil {
		return err
	}
	if fpchanged && r.Fpregset != nil && r.Fpregset.Xsave != nil {
		iov := unix.Iovec{Base: &r.Fpregset.Xsave[0], Len: uint64(len(r.Fpregset.Xsave))}
		if err := ptrace(unix.PTRACE_SETREGSET, th.ID, ntX86Xstate, uintptr(unsafe.Pointer(&iov))); err != nil {
			return fmt.Errorf("write xstate of thread %d: %w", th.ID, err)
		}
	}
	return nil
}

// restoreRegisters puts back registers saved by proc (after call
// injection). fs_base and gs_base are the thread's TLS and stay as they are.
func (th *Thread) restoreRegisters(saved proc.Registers) error {
	sr := saved.(*linutil.AMD64Registers)
	var cur unix.PtraceRegs
	if err := unix.PtraceGetRegs(th.ID, &cur); err != nil {
		return fmt.Errorf("read registers of thread %d: %w", th.ID, err)
	}
	regs := *(*unix.PtraceRegs)(sr.Regs)
	regs.Fs_base, regs.Gs_base = cur.Fs_base, cur.Gs_base
	th.invalidateRegisters()
	if err := unix.PtraceSetRegs(th.ID, &regs); err != nil {
		return fmt.Errorf("restore registers of thread %d: %w", th.ID, err)
	}
	if sr.Fpregset == nil {
		return nil
	}
	if sr.Fpregset.Xsave != nil {
		iov := unix.Iovec{Base: &sr.Fpregset.Xsave[0], Len: uint64(len(sr.Fpregset.Xsave))}
		if err := ptrace(unix.PTRACE_SETREGSET, th.ID, ntX86Xstate, uintptr(unsafe.Pointer(&iov))); err != nil {
			return fmt.Errorf("restore xstate of thread %d: %w", th.ID, err)
		}
		return nil
	}
	if err := ptrace(unix.PTRACE_SETFPREGS, th.ID, 0, uintptr(unsafe.Pointer(&sr.Fpregset.AMD64PtraceFpRegs))); err != nil {
		return fmt.Errorf("restore floating point registers of thread %d: %w", th.ID, err)
	}
	return nil
}

// offsetof(struct user, u_debugreg) on amd64 (arch/x86/include/asm/user_64.h).
const debugRegUserOffset = 848

// withDebugRegisters reads DR0-DR3, DR6, DR7, lets f change them, and writes
// back what changed. DR4 and DR5 are not accessible (EIO). Tracer thread.
func (th *Thread) withDebugRegisters(f func(*amd64util.DebugRegisters) error) error {
	var dr [8]uint64
	for i := range dr {
		if i == 4 || i == 5 {
			continue
		}
		if err := ptrace(unix.PTRACE_PEEKUSR, th.ID, uintptr(debugRegUserOffset+i*8), uintptr(unsafe.Pointer(&dr[i]))); err != nil {
			return fmt.Errorf("read debug register %d of thread %d: %w", i, th.ID, err)
		}
	}
	drs := amd64util.NewDebugRegisters(&dr[0], &dr[1], &dr[2], &dr[3], &dr[6], &dr[7])
	if err := f(drs); err != nil {
		return err
	}
	if !drs.Dirty {
		return nil
	}
	for i := range dr {
		if i == 4 || i == 5 {
			continue
		}
		if err := ptrace(unix.PTRACE_POKEUSR, th.ID, uintptr(debugRegUserOffset+i*8), uintptr(dr[i])); err != nil {
			return fmt.Errorf("write debug register %d of thread %d: %w", i, th.ID, err)
		}
	}
	return nil
}

func (th *Thread) writeHardwareBreakpoint(addr uint64, wtype proc.WatchType, idx uint8) error {
	return th.withDebugRegisters(func(drs *amd64util.DebugRegisters) error {
		return drs.SetBreakpoint(idx, addr, wtype.Read(), wtype.Write(), wtype.Size())
	})
}

func (th *Thread) clearHardwareBreakpoint(addr uint64, wtype proc.WatchType, idx uint8) error {
	return th.withDebugRegisters(func(drs *amd64util.DebugRegisters) error {
		drs.ClearBreakpoint(idx)
		return nil
	})
}

// findHardwareBreakpoint asks DR6 which watchpoint fired.
func (th *Thread) findHardwareBreakpoint() (*proc.Breakpoint, error) {
	var found *proc.Breakpoint
	err := th.withDebugRegisters(func(drs *amd64util.DebugRegisters) error {
		if ok, idx := drs.GetActiveBreakpoint(); ok {
			for _, bp := range th.p.breakpoints.M {
				if bp.WatchType != 0 && bp.HWBreakIndex == idx {
					found = bp
					break
				}
			}
		}
		return nil
	})
	return found, err
}

// Kernel-internal errnos a syscall interrupted by a ptrace-stop returns
// while it waits to be restarted (include/linux/errno.h).
const (
	errRestartSys          = 512
	errRestartNoIntr       = 513
	errRestartNoHand       = 514
	errRestartRestartBlock = 516
)

// inRestartableSyscall reports whether the thread stopped inside a system
// call the kernel will restart when it resumes (orig_rax holds the call,
// rax an ERESTART* errno): its PC is already past the syscall instruction,
// which it will execute again first. Tracer thread.
func (th *Thread) inRestartableSyscall() bool {
	regs, err := th.registers()
	if err != nil {
		return false
	}
	r := regs.(*linutil.AMD64Registers).Regs
	if int64(r.Orig_rax) < 0 {
		return false
	}
	switch -int64(r.Rax) {
	case errRestartSys, errRestartNoIntr, errRestartNoHand, errRestartRestartBlock:
		return true
	}
	return false
}

// syscallInstruction is SYSCALL, which stepSyscall steps over.
var syscallInstruction = []byte{0x0f, 0x05}
