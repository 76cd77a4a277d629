package backend

import (
	"os"
	"os/signal"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/go-delve/delve/pkg/logflags"
	"golang.org/x/sys/unix"
)

// defaultReleaseSignals end the debugger; the backend answers them by
// letting the process go cleanly. SIGINT is not among them: Delve's
// terminal uses it to halt.
var defaultReleaseSignals = []os.Signal{unix.SIGTERM, unix.SIGHUP}

// releaser lets the process go when this program receives a terminating
// signal, so no breakpoint is left behind and the job state is kept.
type releaser struct {
	mu      sync.Mutex
	ch      chan os.Signal
	quit    chan struct{}
	running atomic.Bool
	// done is closed once a started release has let the process go.
	done chan struct{}
}

func (r *releaser) doneChan() chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done == nil {
		r.done = make(chan struct{})
	}
	return r.done
}

func (r *releaser) started() bool { return r.running.Load() }

func (r *releaser) stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ch != nil {
		signal.Stop(r.ch)
		close(r.quit)
		r.ch = nil
	}
}

func (p *Process) startReleaseOnSignals() { p.ReleaseOnSignals(defaultReleaseSignals...) }

// ReleaseOnSignals sets the signals of this program on which the backend
// detaches from the process — halting it, removing every breakpoint,
// leaving its job-control state as it is — and then lets the signal take
// its default effect. Attach and Launch set SIGTERM and SIGHUP; call it
// with none to turn this off, or add SIGINT for programs that do not use
// it to halt.
func (p *Process) ReleaseOnSignals(sigs ...os.Signal) {
	r := &p.release
	r.stop()
	if len(sigs) == 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ch = make(chan os.Signal, 1)
	r.quit = make(chan struct{})
	signal.Notify(r.ch, sigs...)
	go p.releaseOn(r.ch, r.quit)
}

func (p *Process) releaseOn(ch chan os.Signal, quit chan struct{}) {
	var sig os.Signal
	select {
	case sig = <-ch:
	case <-quit:
		return
	}
	p.Release()
	// Let the signal take the effect it would have had without us.
	signal.Reset(sig)
	if s, ok := sig.(syscall.Signal); ok {
		reraise(s)
		// Still alive: the signal is ignored here (a SIG_IGN inherited
		// from the parent, which Reset restores). Exit as it would have.
		os.Exit(128 + int(s))
	}
	os.Exit(1)
}

// reraise sends s to the calling thread with s unblocked there, so the
// signal is delivered before tgkill returns: its handler runs on this
// thread (Go's, which for a signal nobody is notified of dies of it) or
// its default action ends the process. A process-directed kill(2) could
// pick another thread and end the process only a moment later, which
// would have to be waited for. It returns only if s has no effect.
func reraise(s syscall.Signal) {
	runtime.LockOSThread() // the thread unblocked is the one signalled
	var set unix.Sigset_t
	set.Val[(s-1)/64] |= 1 << ((uint(s) - 1) % 64)
	_ = unix.PthreadSigmask(unix.SIG_UNBLOCK, &set, nil)
	_ = unix.Tgkill(os.Getpid(), unix.Gettid(), s)
}

// Release detaches from the process from any goroutine, even while another
// goroutine waits in Continue: it halts the process, removes every
// breakpoint and detaches, leaving the job-control state as it is. Continue
// then returns proc.ErrProcessDetached. Releasing the first process of a
// session (the one attached or launched) releases every other process of
// it too (followed children, members of a job), at once: none may be left
// traced or holding a breakpoint.
func (p *Process) Release() {
	others := p.groupOthers()
	var wg sync.WaitGroup
	for _, o := range others {
		wg.Add(1)
		go func() {
			defer wg.Done()
			o.releaseOne()
		}()
	}
	p.releaseOne()
	wg.Wait()
	if p.g != nil && p.g.processes()[0] == p {
		p.g.dropNewborn() // handed over after exec, not a target yet
	}
}

// groupOthers returns the other processes of p's group when p is its
// first process, else none.
func (p *Process) groupOthers() []*Process {
	if p.g == nil {
		return nil
	}
	ps := p.g.processes()
	if len(ps) < 2 || ps[0] != p {
		return nil
	}
	return ps[1:]
}

func (p *Process) releaseOne() {
	if p.release.started() {
		p.WaitRelease()
		return
	}
	if ok, _ := p.Valid(); !ok {
		return
	}
	// From here Valid reports the process detached, so proc, if it is in
	// Continue, stops using it as soon as ContinueOnce returns.
	if !p.release.running.CompareAndSwap(false, true) {
		p.WaitRelease()
		return
	}
	defer close(p.release.doneChan())
	p.sendHalt()
	// The tracer thread comes back to take the detach: a continue returns
	// at the halt, and every wait of the stop that follows is bounded
	// (stopDeadline). Release still returns if it somehow does not; the
	// kernel detaches our tracees when this process exits.
	done := make(chan error, 1)
	go func() { done <- p.detachOrKill(false) }()
	select {
	case err := <-done:
		if err != nil {
			logflags.DebuggerLogger().Errorf("dlv-listen: release process %d: %v", p.pid, err)
		}
	case <-time.After(releaseDeadline):
		logflags.DebuggerLogger().Errorf("dlv-listen: release process %d: the tracer thread did not answer within %v", p.pid, releaseDeadline)
	}
}

// WaitRelease waits until a Release started on any goroutine (a SIGTERM,
// say) has let the process go, at most releaseDeadline; it returns at once
// when none was started. From the start of a release the process reads as
// detached (Valid), and proc's Detach then does nothing: a program that
// ended the session and exited right away would leave the release half
// done, its breakpoints planted and a trap in flight.
func (p *Process) WaitRelease() {
	for _, o := range p.groupOthers() {
		o.WaitRelease()
	}
	if !p.release.started() {
		return
	}
	select {
	case <-p.release.doneChan():
	case <-time.After(releaseDeadline):
	}
}

// releaseDeadline bounds Release: two bounded stops (the continue's and the
// detach's) and the detach itself.
const releaseDeadline = 2*stopDeadline + 5*time.Second
