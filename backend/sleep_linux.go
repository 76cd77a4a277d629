package backend

import (
	"os"
	"os/signal"
	"runtime"
	"sync"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// How the tracer sleeps while it waits for reports.
//
// A tracee's stop notifies its tracer with a SIGCHLD aimed at the tracer
// thread itself (do_notify_parent_cldstop sends it to tsk->parent, which
// ptrace_link set to the tracer thread), and the kernel gives a
// process-directed signal to the thread it was aimed at when that thread
// does not block it (complete_signal). The tracer thread blocks SIGCHLD
// (tracer.loop); rt_sigtimedwait unblocks the signals it waits for while
// it sleeps (do_sigtimedwait), so a tracer sleeping there is woken by the
// kernel directly and takes the signal in the system call. Through Go's
// handler on another thread, os/signal and the scheduler to the tracer's
// goroutine, a stop took a median of 125 to 290 us to be reaped; this way
// 40 to 95 us (ftrace: signal_generate against a trace_marker at the
// reap, BenchmarkFollowExecChildren's spawner, on a loaded machine too).
//
// Outside such a sleep (and the other waits on SIGCHLD) ptrace-stops send
// no SIGCHLD at all: SA_NOCLDSTOP is set then (sigchld_linux.go), and
// waitReport clears it before its first look.
//
// A SIGCHLD can still miss a sleeping tracer: one raised while it is
// awake (between its look, wait4, and its sleep) goes to another thread;
// one raised while a SIGCHLD is already pending for the process is merged
// into it (a standard signal is queued once, legacy_queue), and that one
// may wake another thread; and with several processes (follow-exec, a
// job) each has its tracer, and one may take another's SIGCHLD. So every
// SIGCHLD is passed on to the tracers that may need it:
//   - one taken by Go's handler reaches os/signal, which sends it to every
//     tracer's fwd; forward pokes its tracer if it is looking;
//   - one taken by a tracer's sleep (si_code a CLD_* code, not a poke) is
//     passed to every other tracer (shareSigchld): a poke if it is
//     looking, and its sigchld channel, which its other waits read.
//
// A poke is a SIGCHLD sent to the tracer thread alone (tgkill): it stays
// pending on that thread, where it is blocked, until a sleep takes it, so
// it cannot be lost; a halt request pokes the tracer after it posts its
// token (sendHalt). Sleeps are bounded all the same (napBound), as a
// safety net, and by yieldEvery while reports come, for Go's scheduler
// (yieldNow).
//
// A SIGCHLD a tracer takes in its sleep does not reach os/signal: a
// program that embeds the backend and learns of its own children's end
// from signal.Notify(SIGCHLD), rather than from wait, may miss one while a
// tracer sleeps (os/exec waits, and needs no signal).

// napBound bounds each sleep of a tracer that looks for reports.
const napBound = 250 * time.Millisecond

// yieldEvery is how long the tracer goes at most without passing through
// Go's scheduler while it waits for reports, and how long one of its
// sleeps lasts at most while reports come (see yieldNow).
const yieldEvery = 4 * time.Millisecond

// busyFor is how long after a sleep that a kernel's SIGCHLD ended the
// tracer yields and bounds its sleeps by yieldEvery: while reports come.
// A tracer that waits on a quiet program (a stopped one it listens to)
// sleeps napBound and does not yield, as before: sysmon takes its P once
// per sleep then, and has no other work to keep it awake
// (BenchmarkListenCPU: 21 to 23 ms of our CPU in 10 s, 11 to 15 before
// the tracer yielded; 210 with every sleep bounded, 67 with a yield
// before each long sleep).
const busyFor = 50 * time.Millisecond

// sigsetSize is the kernel's sizeof(sigset_t), which rt_sigtimedwait(2)
// wants as its last argument (_NSIG/8 on every 64-bit Linux).
const sigsetSize = 8

// tracers are the live tracers of this process (shareSigchld).
var tracers struct {
	mu  sync.Mutex
	set map[*tracer]struct{}
}

// startForward registers tr and passes the SIGCHLDs Go's handler takes to
// its sleep.
func (tr *tracer) startForward() {
	tracers.mu.Lock()
	if tracers.set == nil {
		tracers.set = make(map[*tracer]struct{})
	}
	tracers.set[tr] = struct{}{}
	tracers.mu.Unlock()
	signal.Notify(tr.fwd, unix.SIGCHLD)
	go func() {
		for {
			select {
			case <-tr.fwd:
				if tr.looking.Load() {
					tr.poke()
				}
			case <-tr.quit:
				return
			}
		}
	}()
}

// stopForward undoes startForward; the forwarding goroutine ends with
// tr.quit.
func (tr *tracer) stopForward() {
	signal.Stop(tr.fwd)
	tracers.mu.Lock()
	delete(tracers.set, tr)
	tracers.mu.Unlock()
}

// shareSigchld passes a SIGCHLD tr took in its sleep to every other
// tracer, whose tracee's stop it may have been. Tracer thread.
func (tr *tracer) shareSigchld() {
	tracers.mu.Lock()
	defer tracers.mu.Unlock()
	for other := range tracers.set {
		if other == tr {
			continue
		}
		select {
		case other.sigchld <- unix.SIGCHLD:
		default:
		}
		if other.looking.Load() {
			other.poke()
		}
	}
}

// sleep waits on the tracer thread until a SIGCHLD comes, or d passes. A
// SIGCHLD the kernel sent (not a poke) is shared with the other tracers.
// Tracer thread.
func (tr *tracer) sleep(d time.Duration) {
	if time.Since(tr.lastWake) < busyFor {
		// Reports come: see yieldNow. A system call of 10 ms is long
		// enough for sysmon to take the P too.
		tr.yieldNow()
		d = min(d, yieldEvery)
	}
	set := sigchldSet()
	var si siginfoHead
	ts := unix.NsecToTimespec(int64(d))
	r, _, errno := unix.Syscall6(unix.SYS_RT_SIGTIMEDWAIT, uintptr(unsafe.Pointer(&set)), uintptr(unsafe.Pointer(&si)), uintptr(unsafe.Pointer(&ts)), sigsetSize, 0, 0)
	// si_code > 0: from the kernel (a CLD_* code); a tgkill is SI_TKILL.
	if errno == 0 && r == uintptr(unix.SIGCHLD) && si.Code > 0 {
		tr.lastWake = time.Now()
		tr.shareSigchld()
	}
}

// yieldNow passes the tracer's goroutine through Go's scheduler if it has
// not been for yieldEvery. A continue's tracer does nothing but system
// calls (wait4, ptrace, rt_sigtimedwait), whose return does not go through
// the scheduler, and Go's sysmon takes a goroutine that stays on one
// scheduling tick for forcePreemptNS (10 ms, runtime/proc.go retake) for a
// long-running one: it sends the thread SIGURG (the tracer's sleep ends
// with EINTR) and, the goroutine being in a system call, takes its P
// away. A P taken back makes sysmon poll every 20 us again for at least
// the next millisecond (its idle count restarts), about fifty wake-ups of
// a thread of ours. With children started one after another
// (BenchmarkFollowExecChildren, follow-exec off, 2 cores), that was 66
// nanosleeps of sysmon per child against 4 under native, whose ptrace
// goroutine waits on channels between requests, and 4.5 ms of our CPU per
// child against 2.9: CPU the children did not have. Yielding every few
// milliseconds (a futex wake and a switch or two, since the goroutine is
// locked to its thread) brought it to 10 nanosleeps and 2.4 ms. Sysmon
// also takes the P of a goroutine that stays 10 ms in one system call,
// or that it finds twice in the same call while the other Ps are busy:
// the tracer's sleep between two children's reports (a child's run, 7 ms
// and more on a loaded machine). Sleeps of at most yieldEvery brought
// sysmon to 1 nanosleep per child (native: 1.4 on a quiet machine, 40
// and more under load), for a wake-up of the tracer every 4 ms while
// reports come (busyFor). Tracer thread.
func (tr *tracer) yieldNow() {
	if now := time.Now(); now.Sub(tr.lastYield) > yieldEvery {
		tr.lastYield = now
		runtime.Gosched()
	}
}

// poke ends the tracer's sleep, or its next one if it does not sleep now.
// Safe from any goroutine.
func (tr *tracer) poke() {
	if tid := int(tr.tid.Load()); tid != 0 {
		_ = unix.Tgkill(os.Getpid(), tid, unix.SIGCHLD)
	}
}
