package debugger

// Job-control notices before the stop they led to.
//
// Each process's job-control events are announced on a goroutine of their
// own (watchProcess), while a resuming command returns its stop on the
// caller's: on a busy machine the terminal printed a breakpoint stop
// before "process P continued (SIGCONT)" that let the program reach it,
// or the prompt before "stopped by SIGTSTP". The backend queues a
// transition's event when its tracer observes it, before the continue
// that met it returns, so a command that waits until every event queued
// by then was announced tells them in the order they happened.

import (
	"sync"
	"time"

	"github.com/dlv-listen/dlv-listen/backend"
)

// noticeWait bounds how long a command waits for the notices of changes
// already observed (a receiver of notices that blocks, such as a DAP
// client that reads nothing, does not hold the command for longer).
const noticeWait = 2 * time.Second

// announced counts, for every process watched, the events of its
// subscription announced so far.
type announced struct {
	mu    sync.Mutex
	subs  map[*backend.Subscription]uint64
	moved chan struct{} // closed and replaced at each announcement
}

// watch starts counting sub's announcements.
func (a *announced) watch(sub *backend.Subscription) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.subs == nil {
		a.subs = make(map[*backend.Subscription]uint64)
		a.moved = make(chan struct{})
	}
	a.subs[sub] = 0
}

// done counts one event of sub announced.
func (a *announced) done(sub *backend.Subscription) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.subs[sub]++
	close(a.moved)
	a.moved = make(chan struct{})
}

// forget stops counting sub (its process is gone: it queues no more).
func (a *announced) forget(sub *backend.Subscription) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.subs, sub)
	if a.moved != nil {
		close(a.moved)
		a.moved = make(chan struct{})
	}
}

// flush waits, at most wait, until every event queued so far was
// announced.
func (a *announced) flush(wait time.Duration) {
	var t *time.Timer
	for {
		a.mu.Lock()
		behind := false
		for sub, n := range a.subs {
			if sub.Queued() > n {
				behind = true
				break
			}
		}
		moved := a.moved
		a.mu.Unlock()
		if !behind {
			return
		}
		if t == nil {
			t = time.NewTimer(wait)
			defer t.Stop()
		}
		select {
		case <-moved:
		case <-t.C:
			return
		}
	}
}
