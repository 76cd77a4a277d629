package main

import (
	"fmt"
	"runtime"
	"syscall"
	"unsafe"
)

// allSignals is the signal mask the vfork child sets: every signal.
var allSignals = ^uint64(0)

// vforkStop (vfork_$GOARCH.s) calls clone(CLONE_VM|CLONE_VFORK|SIGCHLD) on
// the caller's stack. The child touches no stack: it blocks every signal (a
// Go handler must not run on the parent's stack), stops itself with SIGSTOP
// and, once continued, exits 0. The parent returns the child's pid (or
// -errno) once the child has exited.
func vforkStop() uintptr

// vforkBlock (vfork_$GOARCH.s) is vforkStop with a child that, every
// signal blocked, sleeps in ppoll(2) with no timeout instead of stopping:
// only SIGKILL ends it, and its parent is sent no SIGCHLD before its end.
func vforkBlock() uintptr

// vforkStopped makes a vfork child that stops itself before it exits: this
// thread sleeps in the kernel (wait_for_vfork_done) until somebody sends
// the child SIGCONT. It reports the child's end as "vfork N exit STATUS".
func vforkStopped(n int) { vforkReport(n, vforkStop(), nil) }

// vforkBlocked makes a vfork child that blocks until it is killed: this
// thread sleeps in the kernel until then. Go's preemption signal is
// blocked on the thread meanwhile and until "vfork N returned" is
// printed: sysmon sends SIGURG to a goroutine that stays 10 ms in code
// that is not a system call Go knows of (vforkBlock's), and that signal,
// pending, would stop a traced thread at its delivery as soon as its wait
// ends, before its first act.
func vforkBlocked(n int) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	urg := uint64(1) << (syscall.SIGURG - 1)
	var old uint64
	sigprocmask(sigBlock, &urg, &old)
	pid := vforkBlock()
	vforkReport(n, pid, func() { sigprocmask(sigSetmask, &old, nil) })
}

// rt_sigprocmask's how (include/uapi/asm-generic/signal-defs.h).
const (
	sigBlock   = 0
	sigSetmask = 2
)

// sigprocmask changes the calling thread's signal mask.
func sigprocmask(how int, set, old *uint64) {
	_, _, _ = syscall.RawSyscall6(syscall.SYS_RT_SIGPROCMASK, uintptr(how), uintptr(unsafe.Pointer(set)), uintptr(unsafe.Pointer(old)), 8, 0, 0)
}

// vforkReport reports a vfork child's return and end; then runs after the
// first line, if not nil.
func vforkReport(n int, pid uintptr, then func()) {
	if int(pid) < 0 {
		fmt.Printf("vfork %d error %v\n", n, syscall.Errno(-int(pid)))
	} else {
		fmt.Printf("vfork %d returned\n", n)
	}
	if then != nil {
		then()
	}
	if int(pid) >= 0 {
		reap("vfork", n, int(pid))
	}
}
