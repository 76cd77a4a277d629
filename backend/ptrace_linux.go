package backend

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// Raw ptrace requests. x/sys's PtraceSeize passes no options and has no
// PTRACE_LISTEN or PTRACE_INTERRUPT wrapper, so they are issued here. All of
// them must run on the tracer thread (ptrace(2): requests come from the
// thread that attached).

// They are raw system calls: none of them blocks (a request on a stopped
// tracee at most waits for it to leave its CPU, wait_task_inactive), so
// the runtime's entersyscall/exitsyscall bookkeeping, paid hundreds of
// times per halt of many threads, buys nothing.
func ptrace(req int, tid int, addr, data uintptr) error {
	_, _, errno := unix.RawSyscall6(unix.SYS_PTRACE, uintptr(req), uintptr(tid), addr, data, 0, 0)
	if errno != 0 {
		return errno
	}
	return nil
}

// ptraceSeize attaches to tid with options set in the same call, so no
// event between attach and PTRACE_SETOPTIONS can be missed.
func ptraceSeize(tid int, options int) error {
	return ptrace(unix.PTRACE_SEIZE, tid, 0, uintptr(options))
}

// ptraceInterrupt traps tid into a PTRACE_EVENT_STOP without sending a
// signal; a listening tracee re-traps and stops listening.
func ptraceInterrupt(tid int) error { return ptrace(unix.PTRACE_INTERRUPT, tid, 0, 0) }

// ptraceListen parks a tracee that sits in a PTRACE_EVENT_STOP: it stays
// stopped, and the kernel re-traps it when the group-stop ends.
func ptraceListen(tid int) error { return ptrace(unix.PTRACE_LISTEN, tid, 0, 0) }

func ptraceCont(tid int, sig unix.Signal) error {
	return ptrace(unix.PTRACE_CONT, tid, 0, uintptr(sig))
}

// ptraceDetach lets tid go, delivering sig if it sits in a
// signal-delivery-stop. A group-stopped thread stays stopped (ptrace(2),
// "PTRACE_DETACH").
func ptraceDetach(tid int, sig unix.Signal) error {
	return ptrace(unix.PTRACE_DETACH, tid, 0, uintptr(sig))
}

func ptraceSetOptions(tid int, options int) error {
	return ptrace(unix.PTRACE_SETOPTIONS, tid, 0, uintptr(options))
}

func ptraceGetEventMsg(tid int) (uint, error) {
	var msg uint
	err := ptrace(unix.PTRACE_GETEVENTMSG, tid, 0, uintptr(unsafe.Pointer(&msg)))
	return msg, err
}

// siginfoHead is the start of siginfo_t common to every signal.
type siginfoHead struct {
	Signo int32
	Errno int32
	Code  int32
	_     int32
	_     [112]byte
}

// ptraceSiginfoCode returns si_code of the signal tid stopped for.
func ptraceSiginfoCode(tid int) (int32, error) {
	si, err := ptraceSiginfo(tid)
	return si.Code, err
}

// ptraceSiginfo returns the siginfo of the stop tid is in; ESRCH if tid is
// not in a ptrace-stop we may inspect (running, or listening).
func ptraceSiginfo(tid int) (siginfoHead, error) {
	var si siginfoHead
	err := ptrace(unix.PTRACE_GETSIGINFO, tid, 0, uintptr(unsafe.Pointer(&si)))
	return si, err
}

// wait4 waits for a report from this tracer thread's own tracees and
// children only (__WNOTHREAD), so an embedding program keeps the statuses
// of the children its other threads started.
func wait4(pid int, nohang bool) (int, unix.WaitStatus, error) {
	var ws unix.WaitStatus
	opts := unix.WALL | unix.WNOTHREAD
	if nohang {
		opts |= unix.WNOHANG
	}
	for {
		var wpid int
		var err error
		if nohang {
			// Never blocks: raw, as the ptrace requests.
			r, _, errno := unix.RawSyscall6(unix.SYS_WAIT4, uintptr(pid), uintptr(unsafe.Pointer(&ws)), uintptr(opts), 0, 0, 0)
			wpid = int(r)
			if errno != 0 {
				wpid, err = -1, errno
			}
		} else {
			wpid, err = unix.Wait4(pid, &ws, opts, nil)
		}
		if err == unix.EINTR {
			continue
		}
		return wpid, ws, err
	}
}
