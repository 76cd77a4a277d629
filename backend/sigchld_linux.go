package backend

import (
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// SIGCHLD for ptrace-stops only while a tracer sleeps on it.
//
// Every ptrace-stop of a tracee sends its tracer's process SIGCHLD
// (do_notify_parent_cldstop, why CLD_TRAPPED), unless SIGCHLD's action has
// SA_NOCLDSTOP (kernel/signal.c); the stop wakes a waiter in wait(2)
// either way (__wake_up_parent). A tracer sleeps on SIGCHLD, through
// os/signal, only in a few waits (waitReport, waitThread, waitKid, while
// threads are parked). The rest of the time a stop's signal buys nothing
// and costs its delivery to some thread of this process, Go's handler and
// a goroutine hand-off or two: about eight per breakpoint round trip, some
// sixty per halt of 209 threads. So SA_NOCLDSTOP is set while no tracer
// sleeps on SIGCHLD. A tracer clears it before it looks for reports with
// wait4 and sleeps, so a stop after that look sends SIGCHLD and ends the
// sleep. Exits are not affected: do_notify_parent always signals.

var sigchldSleepers struct {
	sync.Mutex
	n int
}

// wantSigchld makes every ptrace-stop send SIGCHLD until the returned
// release is called: around a wait that sleeps on tr.sigchld, from before
// its first look with wait4.
func wantSigchld() (release func()) {
	sigchldSleepers.Lock()
	sigchldSleepers.n++
	if sigchldSleepers.n == 1 {
		setNoCldStop(false)
	}
	sigchldSleepers.Unlock()
	return func() {
		sigchldSleepers.Lock()
		sigchldSleepers.n--
		if sigchldSleepers.n == 0 {
			setNoCldStop(true)
		}
		sigchldSleepers.Unlock()
	}
}

// kernelSigaction is struct sigaction as rt_sigaction(2) takes it on
// amd64 and arm64 (both define SA_RESTORER): handler, flags, restorer,
// mask.
type kernelSigaction struct {
	handler  uintptr
	flags    uint64
	restorer uintptr
	mask     uint64
}

// saNoCldStop is SA_NOCLDSTOP.
const saNoCldStop = 0x1

// setNoCldStop sets or clears SA_NOCLDSTOP on SIGCHLD's action, leaving
// the handler Go's runtime installed as it is. Called with
// sigchldSleepers held.
func setNoCldStop(on bool) {
	var sa kernelSigaction
	if _, _, e := unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(unix.SIGCHLD), 0, uintptr(unsafe.Pointer(&sa)), 8, 0, 0); e != 0 {
		return
	}
	if on == (sa.flags&saNoCldStop != 0) {
		return
	}
	if on {
		sa.flags |= saNoCldStop
	} else {
		sa.flags &^= saNoCldStop
	}
	_, _, _ = unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(unix.SIGCHLD), uintptr(unsafe.Pointer(&sa)), 0, 8, 0, 0)
}
