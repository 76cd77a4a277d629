package rpc

// Delve's event stream: GetEvents returns what a Command with WithEvents
// produced, as Delve's server does (one buffer for the server, events
// dropped when it is full, GetEvents blocks until there is one).

import (
	"sync"

	"github.com/go-delve/delve/service/api"
	"github.com/go-delve/delve/service/rpc2"

	"github.com/dlv-listen/dlv-listen/service/debugger"
	"github.com/dlv-listen/dlv-listen/service/jobapi"
)

// eventBufferSize is Delve's: the buffer and the most events one GetEvents
// answer carries.
const eventBufferSize = 100

type events struct {
	d  *debugger.Debugger
	ch chan jobapi.Event

	mu       sync.Mutex
	commands int    // WithEvents commands running
	stops    uint64 // EventStopped events pushed
}

func newEvents(d *debugger.Debugger) *events {
	e := &events{d: d, ch: make(chan jobapi.Event, eventBufferSize)}
	go e.forwardJobEvents()
	return e
}

func (e *events) send(ev jobapi.Event) {
	select {
	case e.ch <- ev:
	default: // full: dropped, as Delve drops them
	}
}

// push is the session client's events function.
func (e *events) push(ev *api.Event) {
	if ev == nil {
		return
	}
	if ev.Kind == api.EventStopped {
		e.mu.Lock()
		e.stops++
		e.mu.Unlock()
	}
	e.send(jobapi.Event{Event: *ev})
}

// command marks a WithEvents command; the returned func ends it. The rpc2
// client drains GetEvents until EventStopped: a command that ended without
// one (refused before it ran) gets one, or the client would wait forever.
func (e *events) command() func() {
	e.mu.Lock()
	e.commands++
	before := e.stops
	e.mu.Unlock()
	return func() {
		e.mu.Lock()
		e.commands--
		missing := e.stops == before
		e.mu.Unlock()
		if missing {
			e.push(&api.Event{Kind: api.EventStopped})
		}
	}
}

// forwardJobEvents adds the session's job-control changes to the stream
// while a WithEvents command runs (a stock client drains events only
// then), until the process is let go.
func (e *events) forwardJobEvents() {
	var seq uint64
	for {
		evs, more := e.d.JobEventsAfter(seq)
		for i := range evs {
			seq = evs[i].Seq
			e.mu.Lock()
			running := e.commands > 0
			e.mu.Unlock()
			if running {
				e.send(jobapi.Event{Event: api.Event{Kind: jobapi.EventJobControl}, JobControl: &evs[i]})
			}
		}
		if len(evs) == 0 && e.d.Gone() != nil {
			return
		}
		<-more
		if len(evs) == 0 {
			// more was closed with nothing new: the log has ended.
			if next, _ := e.d.JobEventsAfter(seq); len(next) == 0 {
				return
			}
		}
	}
}

// GetEvents answers the events produced since the last call, waiting for
// one (or the end of the connection).
func (r *rpcServer) GetEvents(_ rpc2.GetEventsIn, out *jobapi.GetEventsOut) error {
	select {
	case ev := <-r.s.events.ch:
		out.Events = append(out.Events, ev)
	case <-r.conn.closed:
		return errConnClosed
	}
	for len(out.Events) < eventBufferSize {
		select {
		case ev := <-r.s.events.ch:
			out.Events = append(out.Events, ev)
		default:
			return nil
		}
	}
	return nil
}
