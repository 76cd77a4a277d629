package main

import "syscall"

// rawFork is fork(2), which arm64 does not have as a system call: clone
// with SIGCHLD as the exit signal and no other flag is what libc's fork
// does there.
func rawFork() (uintptr, syscall.Errno) {
	pid, _, errno := syscall.RawSyscall6(syscall.SYS_CLONE, uintptr(syscall.SIGCHLD), 0, 0, 0, 0, 0)
	return pid, errno
}
