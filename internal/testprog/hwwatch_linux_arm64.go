package testprog

import (
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// userHwdebugState is struct user_hwdebug_state with one register pair.
type userHwdebugState struct {
	info uint32
	pad  uint32
	regs [1]struct {
		addr uint64
		ctrl uint32
		pad  uint32
	}
}

// ntArmHwWatch is NT_ARM_HW_WATCH.
const ntArmHwWatch = 0x403

// armWriteWatchpoint arms watchpoint 0 on the 8 bytes at addr for stores:
// enabled, EL0 (PAC 0b10), store (LSC 0b10), byte address select 0xff.
func armWriteWatchpoint(pid int, addr uint64) error {
	var st userHwdebugState
	st.regs[0].addr = addr
	st.regs[0].ctrl = 1 | 2<<1 | 2<<3 | 0xff<<5
	iov := unix.Iovec{Base: (*byte)(unsafe.Pointer(&st))}
	iov.SetLen(int(unsafe.Sizeof(st)))
	err := ptraceRaw(unix.PTRACE_SETREGSET, pid, ntArmHwWatch, uintptr(unsafe.Pointer(&iov)))
	runtime.KeepAlive(&st)
	return err
}
