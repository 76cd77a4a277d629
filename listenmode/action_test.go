package listenmode

import (
	"testing"

	"golang.org/x/sys/unix"
)

func TestResume(t *testing.T) {
	var (
		groupStop = Stop{Kind: KindGroupStop, Signal: unix.SIGTSTP}
		eventStop = Stop{Kind: KindEventStop, Signal: unix.SIGTRAP}
		sigURG    = Stop{Kind: KindSignal, Signal: unix.SIGURG}
		bp        = Stop{Kind: KindBreakpoint, Signal: unix.SIGTRAP, Code: SICodeKernel}
		step      = Stop{Kind: KindSingleStep, Signal: unix.SIGTRAP, Code: TrapTrace}
		watch     = Stop{Kind: KindWatchpoint, Signal: unix.SIGTRAP, Code: TrapHwbkpt}
		clone     = Stop{Kind: KindClone, Signal: unix.SIGTRAP}
		exec      = Stop{Kind: KindExec, Signal: unix.SIGTRAP}
	)
	tests := []struct {
		name    string
		last    Stop
		pending unix.Signal
		want    Action
	}{
		// A group-stopped thread is never CONT'ed: LISTEN, which delivers
		// nothing, so a pending signal must be queued again.
		{"group-stop", groupStop, 0, Action{Op: Listen}},
		{"group-stop pending", groupStop, unix.SIGURG, Action{Op: Listen, Signal: unix.SIGURG, Requeue: true}},
		// Signal-delivery-stops deliver the pending signal with CONT.
		{"signal pending", sigURG, unix.SIGURG, Action{Op: Cont, Signal: unix.SIGURG}},
		{"signal none", sigURG, 0, Action{Op: Cont}},
		{"breakpoint pending", bp, unix.SIGINT, Action{Op: Cont, Signal: unix.SIGINT}},
		{"breakpoint none", bp, 0, Action{Op: Cont}},
		{"single-step pending", step, unix.SIGURG, Action{Op: Cont, Signal: unix.SIGURG}},
		{"watchpoint pending", watch, unix.SIGURG, Action{Op: Cont, Signal: unix.SIGURG}},
		// Event stops ignore CONT's signal: requeue it.
		{"event-stop pending", eventStop, unix.SIGURG, Action{Op: Cont, Signal: unix.SIGURG, Requeue: true}},
		{"event-stop none", eventStop, 0, Action{Op: Cont}},
		{"clone pending", clone, unix.SIGUSR1, Action{Op: Cont, Signal: unix.SIGUSR1, Requeue: true}},
		{"clone none", clone, 0, Action{Op: Cont}},
		{"exec pending", exec, unix.SIGUSR1, Action{Op: Cont, Signal: unix.SIGUSR1, Requeue: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Resume(tt.last, tt.pending); got != tt.want {
				t.Errorf("Resume(%v, %v) = %+v, want %+v", tt.last, tt.pending, got, tt.want)
			}
		})
	}
}

func TestPolicyReact(t *testing.T) {
	hold := Action{Op: Hold}
	listen := Action{Op: Listen}
	cont := Action{Op: Cont}
	type want struct{ listenFalse, listenTrue, reportFalse, reportTrue Action }
	same := func(a Action) want { return want{a, a, a, a} }
	tests := []struct {
		stop Stop
		want want
	}{
		{Stop{Kind: KindBreakpoint, Signal: unix.SIGTRAP, Code: SICodeKernel}, same(hold)},
		{Stop{Kind: KindSingleStep, Signal: unix.SIGTRAP, Code: TrapTrace}, same(hold)},
		{Stop{Kind: KindWatchpoint, Signal: unix.SIGTRAP, Code: TrapHwbkpt}, same(hold)},
		// A group-stop is held only when it began and the policy reports it.
		{Stop{Kind: KindGroupStop, Signal: unix.SIGSTOP}, want{listen, listen, listen, hold}},
		{Stop{Kind: KindGroupStop, Signal: unix.SIGTTIN}, want{listen, listen, listen, hold}},
		// Signal-delivery-stops re-inject their signal, stop signals included.
		{Stop{Kind: KindSignal, Signal: unix.SIGURG}, same(Action{Op: Cont, Signal: unix.SIGURG})},
		{Stop{Kind: KindSignal, Signal: unix.SIGSTOP}, same(Action{Op: Cont, Signal: unix.SIGSTOP})},
		{Stop{Kind: KindSignal, Signal: unix.SIGTSTP}, same(Action{Op: Cont, Signal: unix.SIGTSTP})},
		{Stop{Kind: KindSignal, Signal: unix.SIGCONT}, same(Action{Op: Cont, Signal: unix.SIGCONT})},
		{Stop{Kind: KindSignal, Signal: unix.SIGTRAP, Code: SICodeUser}, same(Action{Op: Cont, Signal: unix.SIGTRAP})},
		// Event stops resume with no signal.
		{Stop{Kind: KindEventStop, Signal: unix.SIGTRAP}, same(cont)},
		{Stop{Kind: KindClone, Signal: unix.SIGTRAP}, same(cont)},
		{Stop{Kind: KindFork, Signal: unix.SIGTRAP}, same(cont)},
		{Stop{Kind: KindVfork, Signal: unix.SIGTRAP}, same(cont)},
		{Stop{Kind: KindVforkDone, Signal: unix.SIGTRAP}, same(cont)},
		{Stop{Kind: KindExec, Signal: unix.SIGTRAP}, same(cont)},
		{Stop{Kind: KindExitEvent, Signal: unix.SIGTRAP}, same(cont)},
		{Stop{Kind: KindSeccomp, Signal: unix.SIGTRAP}, same(cont)},
	}
	for _, tt := range tests {
		for _, c := range []struct {
			p     Policy
			began bool
			want  Action
		}{
			{PolicyListen, false, tt.want.listenFalse},
			{PolicyListen, true, tt.want.listenTrue},
			{PolicyReport, false, tt.want.reportFalse},
			{PolicyReport, true, tt.want.reportTrue},
		} {
			if got := c.p.React(tt.stop, c.began); got != c.want {
				t.Errorf("%v.React(%v, %v) = %+v, want %+v", c.p, tt.stop, c.began, got, c.want)
			}
		}
	}
}

// React on decoded statuses: the kernel's stops of the seed program get
// the seed tracer's actions.
func TestReactDecoded(t *testing.T) {
	tests := []struct {
		ws   unix.WaitStatus
		want Action
	}{
		{stopped(unix.SIGTRAP, unix.PTRACE_EVENT_STOP), Action{Op: Cont}},
		{stopped(unix.SIGSTOP, 0), Action{Op: Cont, Signal: unix.SIGSTOP}},
		{stopped(unix.SIGSTOP, unix.PTRACE_EVENT_STOP), Action{Op: Listen}},
		{stopped(unix.SIGCONT, 0), Action{Op: Cont, Signal: unix.SIGCONT}},
	}
	for _, tt := range tests {
		if got := PolicyListen.React(Decode(tt.ws, 0), false); got != tt.want {
			t.Errorf("React(Decode(%#x)) = %+v, want %+v", uint32(tt.ws), got, tt.want)
		}
	}
}
