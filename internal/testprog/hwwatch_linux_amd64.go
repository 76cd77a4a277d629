package testprog

import "golang.org/x/sys/unix"

// debugRegOffset is offsetof(struct user, u_debugreg) on x86-64.
const debugRegOffset = 848

// armWriteWatchpoint sets DR0 to addr and enables it in DR7 for writes of
// 8 bytes (L0, R/W0 = 01, LEN0 = 10 for eight bytes on x86-64).
func armWriteWatchpoint(pid int, addr uint64) error {
	if err := ptraceRaw(unix.PTRACE_POKEUSR, pid, debugRegOffset, uintptr(addr)); err != nil {
		return err
	}
	const dr7 = 1 | 1<<16 | 2<<18
	return ptraceRaw(unix.PTRACE_POKEUSR, pid, debugRegOffset+7*8, dr7)
}
