package backend

import (
	"os"
	"os/signal"
	"runtime"

	"golang.org/x/sys/unix"
)

// tracer is the one OS thread that issues every ptrace request and wait4 of
// a debugging session.
type tracer struct {
	reqs chan func()
	done chan struct{}
	// sigchld is signalled when the kernel sends us SIGCHLD: a tracee
	// stopped or exited (do_notify_parent_cldstop notifies the tracer of
	// every ptrace-stop). The tracer sleeps on it instead of in a blocking
	// wait4, so it can also take requests while a continue waits.
	sigchld chan os.Signal
}

func newTracer() *tracer {
	tr := &tracer{
		reqs:    make(chan func()),
		done:    make(chan struct{}),
		sigchld: make(chan os.Signal, 1),
	}
	signal.Notify(tr.sigchld, unix.SIGCHLD)
	go tr.loop()
	return tr
}

func (tr *tracer) loop() {
	// ptrace(2): "a tracee is attached to a tracer thread"; every later
	// request must come from that thread. The thread is never unlocked, so
	// it dies with the goroutine instead of serving other goroutines.
	runtime.LockOSThread()
	for fn := range tr.reqs {
		fn()
		tr.done <- struct{}{}
	}
}

// do runs fn on the tracer thread and waits for it.
func (tr *tracer) do(fn func()) {
	tr.reqs <- fn
	<-tr.done
}

// close ends the tracer thread; no request may follow.
func (tr *tracer) close() {
	signal.Stop(tr.sigchld)
	close(tr.reqs)
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
