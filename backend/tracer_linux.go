package backend

import (
	"os"
	"os/signal"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// tracer is the one OS thread that issues every ptrace request and wait4 of
// a debugging session.
type tracer struct {
	reqs chan func()
	done chan struct{}
	// quit is closed by close; a request after it is refused, so a
	// goroutine racing with the end of the session gets an answer
	// instead of a send on a closed channel.
	quit chan struct{}
	// sigchld is signalled when the kernel sends us SIGCHLD: a tracee
	// stopped or exited (do_notify_parent_cldstop notifies the tracer of
	// every ptrace-stop). The tracer sleeps on it instead of in a blocking
	// wait4, so it can also take requests while a continue waits.
	sigchld chan os.Signal

	// tid is the tracer thread's id once it runs (poke).
	tid atomic.Int32
	// looking is set while the tracer looks for reports and sleeps in
	// sleep between looks (waitReport); fwd receives os/signal's SIGCHLD
	// for forward (sleep_linux.go).
	looking atomic.Bool
	fwd     chan os.Signal
	// lastYield is when the tracer last passed through Go's scheduler
	// (yieldNow). Tracer thread.
	lastYield time.Time
	// lastWake is when a kernel SIGCHLD last ended the tracer's sleep (see
	// busyFor). Tracer thread.
	lastWake time.Time

	// idle parks threads while no request comes (idle_linux.go).
	idle idler

	closeOnce sync.Once
}

// idler is what the tracer does between requests: park threads after
// idleAfter without a request, take their reports while parked, and bring
// them back before the next request. Tracer thread, except parkable.
type idler interface {
	parkable() bool
	park() bool
	serveParked() bool
	unpark()
}

func newTracer(idle idler) *tracer {
	tr := &tracer{
		reqs:    make(chan func()),
		done:    make(chan struct{}),
		quit:    make(chan struct{}),
		sigchld: make(chan os.Signal, 1),
		fwd:     make(chan os.Signal, 1),
		idle:    idle,
	}
	signal.Notify(tr.sigchld, unix.SIGCHLD)
	tr.startForward()
	addProcs(+1, 0) // procs_linux.go
	go runOnOwnThread(func() {
		defer addProcs(-1, 0)
		tr.loop()
	})
	return tr
}

// runOnOwnThread runs fn on a goroutine locked for good to an OS thread
// that is not the process's main thread: the calling one, or, if that is
// the main thread, a new one (the caller then returns once fn's goroutine
// is locked). ptrace(2): "a tracee is attached to a tracer thread"; every
// later request must come from that thread. The thread is never unlocked,
// so it ends with the goroutine instead of serving other goroutines, and
// its end lets go of every tracee left (exit_ptrace): a thread asleep in
// its vfork wait cannot be detached otherwise (fork_linux.go). Go does not
// end the main thread (m0) when its locked goroutine exits but wedges it
// (runtime.mexit), so a tracer that ran there kept such a thread traced,
// to stop for good when its wait ended. A goroutine started while the
// caller holds the main thread locked cannot be put on it.
func runOnOwnThread(fn func()) {
	runtime.LockOSThread()
	if unix.Gettid() != unix.Getpid() {
		fn()
		return
	}
	locked := make(chan struct{})
	go func() {
		runtime.LockOSThread()
		close(locked)
		fn()
	}()
	<-locked
	runtime.UnlockOSThread()
}

// loop serves requests on the tracer thread (runOnOwnThread).
func (tr *tracer) loop() {
	tr.tid.Store(int32(unix.Gettid()))
	// Every tracee stop sends SIGCHLD to its tracer, and the kernel hands
	// a process-directed signal to the thread it names when that thread
	// does not block it (complete_signal): here, this one. Taking it here
	// interrupted the tracer once per stopped thread, to run Go's signal
	// handler, in the middle of stopping the others. Blocked here, it goes
	// to another thread of this process, which passes it on to sigchld
	// as before, except while the tracer sleeps in sleep, which takes it
	// itself; wait4 does not depend on the signal.
	chld := sigchldSet()
	_ = unix.PthreadSigmask(unix.SIG_BLOCK, &chld, nil)
	idle := time.NewTimer(idleAfter)
	idle.Stop()
	// parked: threads listen (idle_linux.go); tried: a park since the
	// last request found nothing to park, so the timer is not re-armed
	// until the next request.
	parked, tried := false, false
	// Parked threads' reports are waited for on SIGCHLD (sigchld_linux.go).
	var wanted func()
	setParked := func(on bool) {
		parked = on
		if !on && wanted != nil {
			wanted()
			wanted = nil
		}
	}
	for {
		// The idle timer runs only when parking could help, so a
		// running program's requests pay nothing for it.
		var idleC <-chan time.Time
		var sigC <-chan os.Signal
		switch {
		case parked:
			sigC = tr.sigchld
		case !tried && tr.idle != nil && tr.idle.parkable():
			idle.Reset(idleAfter)
			idleC = idle.C
		}
		select {
		case fn := <-tr.reqs:
			idle.Stop()
			if parked {
				tr.idle.unpark()
				setParked(false)
			}
			tried = false
			fn()
			tr.done <- struct{}{}
		case <-idleC:
			wanted = wantSigchld()
			setParked(tr.idle.park())
			tried = !parked
		case <-sigC:
			setParked(tr.idle.serveParked())
		case <-tr.quit:
			setParked(false)
			return
		}
	}
}

// do runs fn on the tracer thread and waits for it. It reports false,
// without running fn, once the tracer is closed.
func (tr *tracer) do(fn func()) bool {
	select {
	case tr.reqs <- fn:
		<-tr.done
		return true
	case <-tr.quit:
		return false
	}
}

// close ends the tracer thread; no request may follow. Closing twice is
// harmless.
func (tr *tracer) close() {
	tr.closeOnce.Do(func() {
		signal.Stop(tr.sigchld)
		tr.stopForward()
		close(tr.quit)
	})
}

// sigchldSet is the signal set of SIGCHLD alone.
func sigchldSet() (set unix.Sigset_t) {
	set.Val[(unix.SIGCHLD-1)/64] |= 1 << ((uint(unix.SIGCHLD) - 1) % 64)
	return set
}

// drainSigchld forgets SIGCHLD notifications already taken into account:
// called before a non-blocking wait4, so a SIGCHLD that arrives after it is
// still seen by the next sleep.
func (tr *tracer) drainSigchld() {
	select {
	case <-tr.sigchld:
	default:
	}
}
