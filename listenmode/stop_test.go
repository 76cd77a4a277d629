package listenmode

import (
	"testing"

	"golang.org/x/sys/unix"
)

// Hand-built wait statuses (see wait(2) and ptrace(2)).
func stopped(sig unix.Signal, event int) unix.WaitStatus {
	return unix.WaitStatus(0x7f | int(sig)<<8 | event<<16)
}
func exited(code int) unix.WaitStatus            { return unix.WaitStatus(code << 8) }
func killed(sig unix.Signal) unix.WaitStatus     { return unix.WaitStatus(sig) }
func coreDumped(sig unix.Signal) unix.WaitStatus { return unix.WaitStatus(int(sig) | 0x80) }

func TestDecode(t *testing.T) {
	tests := []struct {
		name     string
		ws       unix.WaitStatus
		code     int32
		want     Stop
		reinject unix.Signal
	}{
		// Row: exited / killed.
		{"exited 0", exited(0), 0, Stop{Kind: KindExited, Status: 0}, 0},
		{"exited 3", exited(3), 0, Stop{Kind: KindExited, Status: 3}, 0},
		{"exited 255", exited(255), 0, Stop{Kind: KindExited, Status: 255}, 0},
		{"killed SIGKILL", killed(unix.SIGKILL), 0, Stop{Kind: KindKilled, Signal: unix.SIGKILL}, 0},
		{"killed SIGSEGV core", coreDumped(unix.SIGSEGV), 0, Stop{Kind: KindKilled, Signal: unix.SIGSEGV}, 0},

		// Row: stopped, event 0, SIGTRAP: told apart by si_code.
		{"int3 SI_KERNEL", stopped(unix.SIGTRAP, 0), SICodeKernel, Stop{Kind: KindBreakpoint, Signal: unix.SIGTRAP, Code: 0x80}, 0},
		{"TRAP_BRKPT", stopped(unix.SIGTRAP, 0), TrapBrkpt, Stop{Kind: KindBreakpoint, Signal: unix.SIGTRAP, Code: 1}, 0},
		{"TRAP_TRACE", stopped(unix.SIGTRAP, 0), TrapTrace, Stop{Kind: KindSingleStep, Signal: unix.SIGTRAP, Code: 2}, 0},
		{"TRAP_HWBKPT", stopped(unix.SIGTRAP, 0), TrapHwbkpt, Stop{Kind: KindWatchpoint, Signal: unix.SIGTRAP, Code: 4}, 0},
		{"SIGTRAP SI_USER", stopped(unix.SIGTRAP, 0), SICodeUser, Stop{Kind: KindSignal, Signal: unix.SIGTRAP, Code: 0}, unix.SIGTRAP},
		{"SIGTRAP SI_TKILL", stopped(unix.SIGTRAP, 0), SICodeTkill, Stop{Kind: KindSignal, Signal: unix.SIGTRAP, Code: -6}, unix.SIGTRAP},
		{"SIGTRAP SI_QUEUE", stopped(unix.SIGTRAP, 0), -1, Stop{Kind: KindSignal, Signal: unix.SIGTRAP, Code: -1}, unix.SIGTRAP},

		// Row: stopped, event 0, other signal: signal-delivery-stop; the
		// code is not consulted.
		{"SIGURG", stopped(unix.SIGURG, 0), 0, Stop{Kind: KindSignal, Signal: unix.SIGURG}, unix.SIGURG},
		{"SIGURG code ignored", stopped(unix.SIGURG, 0), SICodeKernel, Stop{Kind: KindSignal, Signal: unix.SIGURG}, unix.SIGURG},
		{"SIGSTOP delivery", stopped(unix.SIGSTOP, 0), 0, Stop{Kind: KindSignal, Signal: unix.SIGSTOP}, unix.SIGSTOP},
		{"SIGTSTP delivery", stopped(unix.SIGTSTP, 0), 0, Stop{Kind: KindSignal, Signal: unix.SIGTSTP}, unix.SIGTSTP},
		{"SIGCONT delivery", stopped(unix.SIGCONT, 0), 0, Stop{Kind: KindSignal, Signal: unix.SIGCONT}, unix.SIGCONT},
		{"SIGSEGV delivery", stopped(unix.SIGSEGV, 0), 0, Stop{Kind: KindSignal, Signal: unix.SIGSEGV}, unix.SIGSEGV},

		// Row: PTRACE_EVENT_STOP with a stop signal: group-stop.
		{"group-stop SIGSTOP", stopped(unix.SIGSTOP, unix.PTRACE_EVENT_STOP), 0, Stop{Kind: KindGroupStop, Signal: unix.SIGSTOP}, 0},
		{"group-stop SIGTSTP", stopped(unix.SIGTSTP, unix.PTRACE_EVENT_STOP), 0, Stop{Kind: KindGroupStop, Signal: unix.SIGTSTP}, 0},
		{"group-stop SIGTTIN", stopped(unix.SIGTTIN, unix.PTRACE_EVENT_STOP), 0, Stop{Kind: KindGroupStop, Signal: unix.SIGTTIN}, 0},
		{"group-stop SIGTTOU", stopped(unix.SIGTTOU, unix.PTRACE_EVENT_STOP), 0, Stop{Kind: KindGroupStop, Signal: unix.SIGTTOU}, 0},
		// si_code is not read for event stops, whatever the caller passes.
		{"group-stop code ignored", stopped(unix.SIGSTOP, unix.PTRACE_EVENT_STOP), SICodeKernel, Stop{Kind: KindGroupStop, Signal: unix.SIGSTOP}, 0},

		// Row: PTRACE_EVENT_STOP with SIGTRAP: interrupt-stop, new thread,
		// listen notification.
		{"event-stop SIGTRAP", stopped(unix.SIGTRAP, unix.PTRACE_EVENT_STOP), 0, Stop{Kind: KindEventStop, Signal: unix.SIGTRAP}, 0},
		{"event-stop SIGTRAP code ignored", stopped(unix.SIGTRAP, unix.PTRACE_EVENT_STOP), TrapBrkpt, Stop{Kind: KindEventStop, Signal: unix.SIGTRAP}, 0},

		// Rows: other PTRACE_EVENT_* stops (always SIGTRAP).
		{"clone", stopped(unix.SIGTRAP, unix.PTRACE_EVENT_CLONE), 0, Stop{Kind: KindClone, Signal: unix.SIGTRAP}, 0},
		{"fork", stopped(unix.SIGTRAP, unix.PTRACE_EVENT_FORK), 0, Stop{Kind: KindFork, Signal: unix.SIGTRAP}, 0},
		{"vfork", stopped(unix.SIGTRAP, unix.PTRACE_EVENT_VFORK), 0, Stop{Kind: KindVfork, Signal: unix.SIGTRAP}, 0},
		{"vfork-done", stopped(unix.SIGTRAP, unix.PTRACE_EVENT_VFORK_DONE), 0, Stop{Kind: KindVforkDone, Signal: unix.SIGTRAP}, 0},
		{"exec", stopped(unix.SIGTRAP, unix.PTRACE_EVENT_EXEC), 0, Stop{Kind: KindExec, Signal: unix.SIGTRAP}, 0},
		{"exit event", stopped(unix.SIGTRAP, unix.PTRACE_EVENT_EXIT), 0, Stop{Kind: KindExitEvent, Signal: unix.SIGTRAP}, 0},
		{"seccomp", stopped(unix.SIGTRAP, unix.PTRACE_EVENT_SECCOMP), 0, Stop{Kind: KindSeccomp, Signal: unix.SIGTRAP}, 0},
		{"syscall-stop (TRACESYSGOOD)", stopped(unix.SIGTRAP|0x80, 0), 0, Stop{Kind: KindSyscall, Signal: unix.SIGTRAP}, 0},
		{"unknown event", stopped(unix.SIGTRAP, 0x42), 0, Stop{Kind: KindUnknown, Signal: unix.SIGTRAP}, 0},

		// Not a stop, exit or kill: WCONTINUED's status.
		{"continued", unix.WaitStatus(0xffff), 0, Stop{Kind: KindUnknown}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Decode(tt.ws, tt.code)
			if got != tt.want {
				t.Fatalf("Decode(%#x, %d) = %+v, want %+v", uint32(tt.ws), tt.code, got, tt.want)
			}
			if r := got.Reinject(); r != tt.reinject {
				t.Errorf("Reinject() = %v, want %v", r, tt.reinject)
			}
			if g, w := got.Gone(), tt.want.Kind == KindExited || tt.want.Kind == KindKilled; g != w {
				t.Errorf("Gone() = %v, want %v", g, w)
			}
			if got.String() == "" {
				t.Errorf("String() is empty")
			}
		})
	}
}

// The hand-built statuses mean what x/sys says they mean, so the table above
// does test the kernel's encoding and not only itself.
func TestStatusHelpers(t *testing.T) {
	ws := stopped(unix.SIGTTOU, unix.PTRACE_EVENT_STOP)
	if !ws.Stopped() || ws.StopSignal() != unix.SIGTTOU || ws.Exited() || ws.Signaled() {
		t.Errorf("stopped(SIGTTOU, EVENT_STOP) = %#x is not a SIGTTOU stop", uint32(ws))
	}
	if ws := exited(3); !ws.Exited() || ws.ExitStatus() != 3 {
		t.Errorf("exited(3) = %#x", uint32(ws))
	}
	if ws := killed(unix.SIGKILL); !ws.Signaled() || ws.Signal() != unix.SIGKILL {
		t.Errorf("killed(SIGKILL) = %#x", uint32(ws))
	}
	// x/sys's TrapCause would hide the group-stop's event: the reason
	// Decode computes it itself.
	if c := ws.TrapCause(); c != -1 {
		t.Logf("TrapCause of a group-stop = %d (x/sys changed)", c)
	}
}

func TestNeedsSiginfo(t *testing.T) {
	tests := []struct {
		ws   unix.WaitStatus
		want bool
	}{
		{stopped(unix.SIGTRAP, 0), true},
		{stopped(unix.SIGURG, 0), false},
		{stopped(unix.SIGSTOP, 0), false},
		{stopped(unix.SIGTRAP, unix.PTRACE_EVENT_STOP), false},
		{stopped(unix.SIGSTOP, unix.PTRACE_EVENT_STOP), false},
		{stopped(unix.SIGTRAP, unix.PTRACE_EVENT_CLONE), false},
		{stopped(unix.SIGTRAP, unix.PTRACE_EVENT_EXEC), false},
		{stopped(unix.SIGTRAP, unix.PTRACE_EVENT_EXIT), false},
		{exited(0), false},
		{exited(int(unix.SIGTRAP)), false},
		{killed(unix.SIGTRAP), false},
		{killed(unix.SIGKILL), false},
		{unix.WaitStatus(0xffff), false},
	}
	for _, tt := range tests {
		if got := NeedsSiginfo(tt.ws); got != tt.want {
			t.Errorf("NeedsSiginfo(%#x) = %v, want %v", uint32(tt.ws), got, tt.want)
		}
	}
}

func TestIsSignalDeliveryStop(t *testing.T) {
	want := map[Kind]bool{
		KindSignal: true, KindBreakpoint: true, KindSingleStep: true, KindWatchpoint: true,
	}
	for k := KindUnknown; k <= KindSyscall; k++ {
		s := Stop{Kind: k, Signal: unix.SIGTRAP}
		if got := s.IsSignalDeliveryStop(); got != want[k] {
			t.Errorf("Stop{Kind: %v}.IsSignalDeliveryStop() = %v, want %v", k, got, want[k])
		}
	}
	// Decoded stops agree.
	if !Decode(stopped(unix.SIGURG, 0), 0).IsSignalDeliveryStop() {
		t.Error("SIGURG delivery stop is not a signal-delivery-stop")
	}
	if Decode(stopped(unix.SIGSTOP, unix.PTRACE_EVENT_STOP), 0).IsSignalDeliveryStop() {
		t.Error("group-stop is a signal-delivery-stop")
	}
	if Decode(stopped(unix.SIGTRAP, unix.PTRACE_EVENT_STOP), 0).IsSignalDeliveryStop() {
		t.Error("event-stop is a signal-delivery-stop")
	}
}

func TestIsStopSignal(t *testing.T) {
	for sig := unix.Signal(1); sig < 65; sig++ {
		want := sig == unix.SIGSTOP || sig == unix.SIGTSTP || sig == unix.SIGTTIN || sig == unix.SIGTTOU
		if got := IsStopSignal(sig); got != want {
			t.Errorf("IsStopSignal(%v) = %v, want %v", sig, got, want)
		}
	}
	if IsStopSignal(0) {
		t.Error("IsStopSignal(0)")
	}
}

func TestStrings(t *testing.T) {
	for k := KindUnknown; k <= KindSyscall+2; k++ {
		if k.String() == "" {
			t.Errorf("Kind(%d).String() is empty", k)
		}
		for _, sig := range []unix.Signal{0, unix.SIGTRAP, unix.SIGSTOP, 200} {
			_ = Stop{Kind: k, Signal: sig, Status: 1}.String()
		}
	}
	if got := Kind(200).String(); got != "Kind(200)" {
		t.Errorf("Kind(200).String() = %q", got)
	}
	if got := KindGroupStop.String(); got != "group-stop" {
		t.Errorf("KindGroupStop.String() = %q", got)
	}
	if got := (Stop{Kind: KindExited, Status: 3}).String(); got != "exited 3" {
		t.Errorf("exited String() = %q", got)
	}
	if got := (Stop{Kind: KindGroupStop, Signal: unix.SIGTSTP}).String(); got != "group-stop SIGTSTP" {
		t.Errorf("group-stop String() = %q", got)
	}
	for _, o := range []Op{Hold, Cont, Listen, 9} {
		if o.String() == "" {
			t.Errorf("Op(%d).String() is empty", o)
		}
	}
	for _, p := range []Policy{PolicyListen, PolicyReport, 9} {
		if p.String() == "" {
			t.Errorf("Policy(%d).String() is empty", p)
		}
	}
	for _, s := range []State{StateUnknown, StateRunning, StateStopped, 9} {
		if s.String() == "" {
			t.Errorf("State(%d).String() is empty", s)
		}
	}
	for _, e := range []Event{
		{Kind: GroupStopBegan, Pid: 1, Signal: unix.SIGSTOP},
		{Kind: GroupStopEnded, Pid: 1},
		{Kind: 9, Pid: 1},
		{},
	} {
		if e.String() == "" {
			t.Errorf("%#v.String() is empty", e)
		}
	}
}
