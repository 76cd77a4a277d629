package backend

import (
	"sync"

	"golang.org/x/sys/unix"

	"github.com/dlv-listen/dlv-listen/listenmode"
)

// Subscription delivers the job-control events of one process, in order,
// none dropped. C is closed when the process is gone or the subscription
// is closed.
type Subscription struct {
	C <-chan listenmode.Event

	out     chan listenmode.Event
	mu      sync.Mutex
	q       []listenmode.Event
	closing bool // no more events: close C once q is delivered
	// queued counts the events queued for C so far (mu).
	queued uint64
	wake   chan struct{}
	quit   chan struct{}
	once   sync.Once
}

// Close ends the subscription.
func (s *Subscription) Close() { s.once.Do(func() { close(s.quit) }) }

// Queued is how many events were queued for C so far: a subscriber that
// has taken that many from C has every event of the transitions observed
// before the call (a stop the tracer returned was observed, and its event
// queued, before the continue that met it returned).
func (s *Subscription) Queued() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.queued
}

// pump moves queued events to the subscriber without ever blocking the
// tracer thread, which only appends to the queue.
func (s *Subscription) pump() {
	defer close(s.out)
	for {
		s.mu.Lock()
		var next *listenmode.Event
		if len(s.q) > 0 {
			next = &s.q[0]
		}
		closing := s.closing
		s.mu.Unlock()
		if next == nil && closing {
			return
		}
		if next == nil {
			select {
			case <-s.wake:
				continue
			case <-s.quit:
				return
			}
		}
		select {
		case s.out <- *next:
			s.mu.Lock()
			s.q = s.q[1:]
			s.mu.Unlock()
		case <-s.quit:
			return
		}
	}
}

func (s *Subscription) push(ev listenmode.Event) {
	s.mu.Lock()
	s.q = append(s.q, ev)
	s.queued++
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

type subscribers struct {
	mu     sync.Mutex
	list   []*Subscription
	closed bool
	// held, while holding, keeps events back until release (serveParked).
	holding bool
	held    []listenmode.Event
}

// hold keeps the events emitted from now on until release.
func (ss *subscribers) hold() {
	ss.mu.Lock()
	ss.holding = true
	ss.mu.Unlock()
}

// release delivers the events held back, in order.
func (ss *subscribers) release() {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ss.holding = false
	for _, ev := range ss.held {
		for _, s := range ss.list {
			s.push(ev)
		}
	}
	ss.held = nil
}

func (ss *subscribers) add() *Subscription {
	out := make(chan listenmode.Event)
	s := &Subscription{C: out, out: out, wake: make(chan struct{}, 1), quit: make(chan struct{})}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.closed {
		close(out)
		return s
	}
	ss.list = append(ss.list, s)
	go s.pump()
	return s
}

func (ss *subscribers) emit(ev listenmode.Event) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.holding {
		ss.held = append(ss.held, ev)
		return
	}
	for _, s := range ss.list {
		s.push(ev)
	}
}

// close ends every subscription once the events queued so far are taken.
func (ss *subscribers) close() {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ss.closed = true
	for _, s := range ss.list {
		s.mu.Lock()
		s.closing = true
		s.mu.Unlock()
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
	ss.list = nil
}

// Subscribe returns a subscription to the process's job-control events:
// "group-stop began, SIGx" and "group-stop ended", once per process
// transition. Safe from any goroutine.
func (p *Process) Subscribe() *Subscription { return p.subs.add() }

// JobState is the process's job-control state as last observed, and its
// stop signal when stopped. Safe from any goroutine.
func (p *Process) JobState() (listenmode.State, unix.Signal) {
	v := p.jobState.Load()
	return listenmode.State(v >> 8), unix.Signal(v & 0xff)
}

func (p *Process) publishJobState() {
	st, sig := p.job.State()
	p.jobState.Store(uint32(st)<<8 | uint32(sig))
}

// SetGroupStopPolicy chooses what a group-stop does while the process is
// continued: listen (the default: keep waiting, the program stays stopped)
// or report it to proc as a stop. Safe from any goroutine; it applies from
// the next continue.
func (p *Process) SetGroupStopPolicy(pol listenmode.Policy) { p.policy.Store(uint32(pol)) }

// GroupStopPolicy returns the current policy.
func (p *Process) GroupStopPolicy() listenmode.Policy { return listenmode.Policy(p.policy.Load()) }
