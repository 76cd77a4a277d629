package backend

import (
	"fmt"
	"unsafe"

	"github.com/go-delve/delve/pkg/proc"
	"golang.org/x/sys/unix"

	"github.com/dlv-listen/dlv-listen/listenmode"
)

// Hardware watchpoints on arm64 are the NT_ARM_HW_WATCH register set, struct
// user_hwdebug_state (arch/arm64/include/uapi/asm/ptrace.h): one word with
// the number of watchpoints (low byte) and the debug architecture version,
// then an address (DBGWVRn) and a control word (DBGWCRn) per watchpoint, of
// which the kernel lets ptrace set only E, PAC, LSC and BAS.
const maxARM64Watchpoints = 16

// Fields of DBGWCRn_EL1 (Arm ARM D13.3.11).
const (
	wcrEnable     = 1 << 0
	wcrPrivEL0    = 2 << 1 // PAC: EL0 only; the kernel refuses other levels for ptrace
	wcrLoad       = 1 << 3 // LSC bit 0
	wcrStore      = 2 << 3 // LSC bit 1
	wcrBASShift   = 5      // BAS: a mask of the bytes watched from the address
	wcrBASMaxBits = 8
)

type hwWatchState struct {
	words []uint64 // 1 + 2 per existing watchpoint
}

func (s *hwWatchState) count() uint8 { return uint8(len(s.words) / 2) }

func (s *hwWatchState) set(idx uint8, addr, ctrl uint64) {
	s.words[1+2*int(idx)] = addr
	s.words[2+2*int(idx)] = ctrl
}

// hwWatch reads the thread's watchpoint registers, cut to the number the
// CPU has (writing more fails with ENOSPC). Tracer thread.
func (th *Thread) hwWatch() (*hwWatchState, error) {
	words := make([]uint64, 1+2*maxARM64Watchpoints)
	size := uintptr(len(words)) * unsafe.Sizeof(words[0])
	if _, err := getRegset(th.ID, ntArmHWWatch, unsafe.Pointer(&words[0]), size); err != nil {
		return nil, fmt.Errorf("read watchpoint registers of thread %d: %w", th.ID, err)
	}
	n := int(words[0] & 0xff)
	if n > maxARM64Watchpoints {
		n = maxARM64Watchpoints
	}
	return &hwWatchState{words: words[:1+2*n]}, nil
}

func (th *Thread) setHWWatch(s *hwWatchState) error {
	size := uintptr(len(s.words)) * unsafe.Sizeof(s.words[0])
	if err := setRegset(th.ID, ntArmHWWatch, unsafe.Pointer(&s.words[0]), size); err != nil {
		return fmt.Errorf("write watchpoint registers of thread %d: %w", th.ID, err)
	}
	return nil
}

// watchControl encodes a DBGWCR for a watchpoint of wtype at an aligned
// address: BAS selects wtype.Size() bytes.
func watchControl(wtype proc.WatchType) uint64 {
	ctrl := uint64(wcrEnable | wcrPrivEL0)
	if wtype.Read() {
		ctrl |= wcrLoad
	}
	if wtype.Write() {
		ctrl |= wcrStore
	}
	size := wtype.Size()
	if size > wcrBASMaxBits {
		size = wcrBASMaxBits
	}
	return ctrl | uint64((1<<size)-1)<<wcrBASShift
}

func (th *Thread) writeHardwareBreakpoint(addr uint64, wtype proc.WatchType, idx uint8) error {
	s, err := th.hwWatch()
	if err != nil {
		return err
	}
	if idx >= s.count() {
		return fmt.Errorf("thread %d: watchpoint %d: the CPU has %d watchpoint registers", th.ID, idx, s.count())
	}
	s.set(idx, addr, watchControl(wtype))
	return th.setHWWatch(s)
}

func (th *Thread) clearHardwareBreakpoint(addr uint64, wtype proc.WatchType, idx uint8) error {
	s, err := th.hwWatch()
	if err != nil {
		return err
	}
	if idx >= s.count() {
		return nil // never set
	}
	s.set(idx, 0, 0)
	return th.setHWWatch(s)
}

// siginfoFault is siginfo_t of a SIGTRAP as arm64 fills it: si_addr, the
// data address that hit the watchpoint, follows the common header.
type siginfoFault struct {
	Signo int32
	Errno int32
	Code  int32
	_     int32
	Addr  uint64
	_     [104]byte
}

// findHardwareBreakpoint finds the watchpoint a TRAP_HWBKPT stop hit from
// the data address in its siginfo. An arm64 watchpoint traps before the
// access: pc is on the instruction, which executes when the thread steps
// over it with the watchpoint lifted (stepInstruction). Tracer thread.
func (th *Thread) findHardwareBreakpoint() (*proc.Breakpoint, error) {
	if th.last.Kind != listenmode.KindWatchpoint {
		return nil, nil
	}
	var si siginfoFault
	if err := ptrace(unix.PTRACE_GETSIGINFO, th.ID, 0, uintptr(unsafe.Pointer(&si))); err != nil {
		return nil, fmt.Errorf("read signal information of thread %d: %w", th.ID, err)
	}
	for _, bp := range th.p.breakpoints.M {
		if bp.WatchType != 0 && si.Addr >= bp.Addr && si.Addr < bp.Addr+uint64(bp.WatchType.Size()) {
			return bp, nil
		}
	}
	// A trap queued before the watchpoint was cleared: nothing to report.
	return nil, nil
}
