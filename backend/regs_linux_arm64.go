package backend

import (
	"errors"

	"github.com/go-delve/delve/pkg/dwarf/op"
	"github.com/go-delve/delve/pkg/proc"
)

// linux/arm64 builds, so the module does, but is not supported yet: every
// register access fails with errARM64, so Attach and Launch fail early with
// that error. (Registers would come through PTRACE_GETREGSET NT_PRSTATUS
// and linutil.ARM64Registers, watchpoints through NT_ARM_HW_WATCH.)
var errARM64 = errors.New("dlv-listen does not support linux/arm64 yet")

type arch struct{}

// syscallInstruction is arm64's SVC #0; stepSyscall is never reached.
var syscallInstruction = []byte{0x01, 0x00, 0x00, 0xd4}

func (th *Thread) registers() (proc.Registers, error) { return nil, errARM64 }
func (th *Thread) invalidateRegisters()               {}
func (th *Thread) cachedRegisters() proc.Registers    { return nil }
func (th *Thread) pcOnTracer() (uint64, error)        { return 0, errARM64 }
func (th *Thread) setPC(pc uint64) error              { return errARM64 }
func (th *Thread) inRestartableSyscall() bool         { return false }

func (th *Thread) SetReg(regNum uint64, reg *op.DwarfRegister) error { return errARM64 }

func (th *Thread) restoreRegisters(saved proc.Registers) error { return errARM64 }

func (th *Thread) writeHardwareBreakpoint(addr uint64, wtype proc.WatchType, idx uint8) error {
	return errARM64
}

func (th *Thread) clearHardwareBreakpoint(addr uint64, wtype proc.WatchType, idx uint8) error {
	return errARM64
}

func (th *Thread) findHardwareBreakpoint() (*proc.Breakpoint, error) { return nil, errARM64 }
