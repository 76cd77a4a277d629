package listenmode

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// Kind says why a thread stopped (or ended), as the kernel reported it.
type Kind uint8

const (
	KindUnknown Kind = iota
	// KindExited: the thread exited; Stop.Status is its exit code.
	KindExited
	// KindKilled: the thread was terminated by Stop.Signal.
	KindKilled
	// KindBreakpoint: SIGTRAP signal-delivery-stop raised by an int3
	// (si_code SI_KERNEL on amd64, TRAP_BRKPT elsewhere).
	KindBreakpoint
	// KindSingleStep: SIGTRAP with si_code TRAP_TRACE after PTRACE_SINGLESTEP.
	KindSingleStep
	// KindWatchpoint: SIGTRAP with si_code TRAP_HWBKPT (debug registers).
	KindWatchpoint
	// KindSignal: signal-delivery-stop of Stop.Signal, which must be
	// re-injected on resume (this includes a SIGTRAP sent by kill(2)).
	KindSignal
	// KindGroupStop: PTRACE_EVENT_STOP carrying a stop signal: the thread
	// is in group-stop (ptrace(2), "Group-stop"). Also what PTRACE_INTERRUPT
	// reports while the group is stopped.
	KindGroupStop
	// KindEventStop: PTRACE_EVENT_STOP carrying SIGTRAP: an interrupt-stop,
	// the first stop of an auto-attached thread, or the PTRACE_LISTEN
	// notification that the group-stop ended. Which one depends on the
	// thread's history, which the backend knows.
	KindEventStop
	// KindClone: PTRACE_EVENT_CLONE; the new tid is in PTRACE_GETEVENTMSG.
	KindClone
	// KindFork and KindVfork: PTRACE_EVENT_FORK / VFORK.
	KindFork
	KindVfork
	KindVforkDone
	// KindExec: PTRACE_EVENT_EXEC, the thread completed an execve.
	KindExec
	// KindExitEvent: PTRACE_EVENT_EXIT, the thread is about to exit.
	KindExitEvent
	// KindSeccomp: PTRACE_EVENT_SECCOMP.
	KindSeccomp
	// KindSyscall: a syscall-stop after PTRACE_SYSCALL, told apart from a
	// SIGTRAP by PTRACE_O_TRACESYSGOOD (WSTOPSIG is SIGTRAP|0x80).
	KindSyscall
)

var kindNames = [...]string{
	KindUnknown: "unknown", KindExited: "exited", KindKilled: "killed",
	KindBreakpoint: "breakpoint", KindSingleStep: "single-step",
	KindWatchpoint: "watchpoint", KindSignal: "signal",
	KindGroupStop: "group-stop", KindEventStop: "event-stop",
	KindClone: "clone", KindFork: "fork", KindVfork: "vfork",
	KindVforkDone: "vfork-done", KindExec: "exec", KindExitEvent: "exit-event",
	KindSeccomp: "seccomp", KindSyscall: "syscall",
}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", k)
}

// siginfo si_code values this package tells apart (include/uapi/asm-generic/siginfo.h).
const (
	SICodeUser   = 0    // SI_USER: kill(2)
	SICodeKernel = 0x80 // SI_KERNEL: int3 on x86
	SICodeTkill  = -6   // SI_TKILL: tgkill(2)
	TrapBrkpt    = 1    // TRAP_BRKPT: breakpoint (arm64 brk)
	TrapTrace    = 2    // TRAP_TRACE: single-step
	TrapHwbkpt   = 4    // TRAP_HWBKPT: hardware breakpoint/watchpoint
)

// Stop is one decoded wait status of one thread.
type Stop struct {
	Kind Kind
	// Signal is WSTOPSIG for stops, the terminating signal for KindKilled.
	Signal unix.Signal
	// Code is si_code, meaningful only where NeedsSiginfo said so.
	Code int32
	// Status is the exit code for KindExited.
	Status int
}

func (s Stop) String() string {
	switch s.Kind {
	case KindExited:
		return fmt.Sprintf("exited %d", s.Status)
	case KindKilled, KindSignal, KindGroupStop:
		return fmt.Sprintf("%s %s", s.Kind, unix.SignalName(s.Signal))
	}
	return s.Kind.String()
}

// IsStopSignal reports whether sig's default action is to stop the
// process: SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU (signal(7)).
func IsStopSignal(sig unix.Signal) bool {
	switch sig {
	case unix.SIGSTOP, unix.SIGTSTP, unix.SIGTTIN, unix.SIGTTOU:
		return true
	}
	return false
}

// ptraceEvent extracts the PTRACE_EVENT_* number: for a stopped status the
// kernel reports (sig << 8) | 0x7f with the event in bits 16..23. x/sys's
// TrapCause is not used because it answers -1 unless the signal is SIGTRAP,
// and a group-stop's PTRACE_EVENT_STOP carries the stop signal.
func ptraceEvent(ws unix.WaitStatus) int {
	return int(uint32(ws)>>16) & 0xff
}

// NeedsSiginfo reports whether Decode needs si_code to classify ws: only a
// SIGTRAP signal-delivery-stop does (int3, single-step, watchpoint and a
// SIGTRAP sent by kill(2) all look alike in the wait status). Every other
// stop is classified from the status alone, which saves a
// PTRACE_GETSIGINFO per stop.
func NeedsSiginfo(ws unix.WaitStatus) bool {
	return ws.Stopped() && ws.StopSignal() == unix.SIGTRAP && ptraceEvent(ws) == 0
}

// Decode classifies one wait status of a PTRACE_SEIZE'd thread. code is the
// thread's si_code from PTRACE_GETSIGINFO and is read only when
// NeedsSiginfo(ws) is true.
func Decode(ws unix.WaitStatus, code int32) Stop {
	switch {
	case ws.Exited():
		return Stop{Kind: KindExited, Status: ws.ExitStatus()}
	case ws.Signaled():
		return Stop{Kind: KindKilled, Signal: ws.Signal()}
	case !ws.Stopped():
		return Stop{Kind: KindUnknown}
	}
	sig := ws.StopSignal()
	switch ptraceEvent(ws) {
	case 0:
		if sig == unix.SIGTRAP|0x80 {
			return Stop{Kind: KindSyscall, Signal: unix.SIGTRAP}
		}
		if sig != unix.SIGTRAP {
			return Stop{Kind: KindSignal, Signal: sig}
		}
		switch code {
		case SICodeKernel, TrapBrkpt:
			return Stop{Kind: KindBreakpoint, Signal: sig, Code: code}
		case TrapTrace:
			return Stop{Kind: KindSingleStep, Signal: sig, Code: code}
		case TrapHwbkpt:
			return Stop{Kind: KindWatchpoint, Signal: sig, Code: code}
		}
		// SI_USER, SI_TKILL, SI_QUEUE...: a real SIGTRAP somebody sent.
		return Stop{Kind: KindSignal, Signal: sig, Code: code}
	case unix.PTRACE_EVENT_STOP:
		// ptrace(2): "If the tracee was stopped by group-stop, WSTOPSIG is
		// the stop signal; otherwise it is SIGTRAP" (do_jobctl_trap).
		if IsStopSignal(sig) {
			return Stop{Kind: KindGroupStop, Signal: sig}
		}
		return Stop{Kind: KindEventStop, Signal: sig}
	case unix.PTRACE_EVENT_CLONE:
		return Stop{Kind: KindClone, Signal: sig}
	case unix.PTRACE_EVENT_FORK:
		return Stop{Kind: KindFork, Signal: sig}
	case unix.PTRACE_EVENT_VFORK:
		return Stop{Kind: KindVfork, Signal: sig}
	case unix.PTRACE_EVENT_VFORK_DONE:
		return Stop{Kind: KindVforkDone, Signal: sig}
	case unix.PTRACE_EVENT_EXEC:
		return Stop{Kind: KindExec, Signal: sig}
	case unix.PTRACE_EVENT_EXIT:
		return Stop{Kind: KindExitEvent, Signal: sig}
	case unix.PTRACE_EVENT_SECCOMP:
		return Stop{Kind: KindSeccomp, Signal: sig}
	}
	return Stop{Kind: KindUnknown, Signal: sig}
}

// IsSignalDeliveryStop reports whether the thread sits in a
// signal-delivery-stop, the only stop from which the kernel delivers the
// signal given to PTRACE_CONT/PTRACE_SINGLESTEP/PTRACE_DETACH; from a
// PTRACE_EVENT stop that signal is ignored (ptrace(2), "Signal injection and
// suppression").
func (s Stop) IsSignalDeliveryStop() bool {
	switch s.Kind {
	case KindSignal, KindBreakpoint, KindSingleStep, KindWatchpoint:
		return true
	}
	return false
}

// Gone reports whether the thread no longer exists.
func (s Stop) Gone() bool { return s.Kind == KindExited || s.Kind == KindKilled }

// Reinject is the signal the program must still receive when this stop is
// resumed: the signal of a signal-delivery-stop. Breakpoint, single-step
// and watchpoint traps are the debugger's own and are suppressed.
func (s Stop) Reinject() unix.Signal {
	if s.Kind == KindSignal {
		return s.Signal
	}
	return 0
}
