package main

import (
	"fmt"
	"syscall"
)

// allSignals is the signal mask the vfork child sets: every signal.
var allSignals = ^uint64(0)

// vforkStop (vfork_$GOARCH.s) calls clone(CLONE_VM|CLONE_VFORK|SIGCHLD) on
// the caller's stack. The child touches no stack: it blocks every signal (a
// Go handler must not run on the parent's stack), stops itself with SIGSTOP
// and, once continued, exits 0. The parent returns the child's pid (or
// -errno) once the child has exited.
func vforkStop() uintptr

// vforkStopped makes a vfork child that stops itself before it exits: this
// thread sleeps in the kernel (wait_for_vfork_done) until somebody sends
// the child SIGCONT. It reports the child's end as "vfork N exit STATUS".
func vforkStopped(n int) {
	pid := vforkStop()
	if int(pid) < 0 {
		fmt.Printf("vfork %d error %v\n", n, syscall.Errno(-int(pid)))
		return
	}
	fmt.Printf("vfork %d returned\n", n)
	reap("vfork", n, int(pid))
}
