package main

import "syscall"

// rawFork is fork(2): a child with a copy of this process's memory.
func rawFork() (uintptr, syscall.Errno) {
	pid, _, errno := syscall.RawSyscall(syscall.SYS_FORK, 0, 0, 0)
	return pid, errno
}
