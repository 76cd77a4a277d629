package debugger

// What the DAP server (service/dap) needs from a session beyond Delve's
// service.Client: structured job-control events, raw memory without the
// JSON-RPC length limit, the executable's own image, and Delve's DAP
// stepping policy. Each is a thin, locked view of the target group.

import (
	"errors"
	"fmt"
	"sync"

	"github.com/go-delve/delve/pkg/proc"
	"github.com/go-delve/delve/service/api"

	"github.com/dlv-listen/dlv-listen/service/jobapi"
)

// AddNoticeFunc adds a receiver of the session's notices besides the one
// of SetNoticeFunc (a DAP client attached to a headless session gets them
// while the headless server keeps logging them). The returned function
// removes it.
func (d *Debugger) AddNoticeFunc(fn func(string)) (remove func()) {
	d.noticeMu.Lock()
	defer d.noticeMu.Unlock()
	if d.noticeSubs == nil {
		d.noticeSubs = map[int]func(string){}
	}
	d.noticeNext++
	id := d.noticeNext
	d.noticeSubs[id] = fn
	return func() {
		d.noticeMu.Lock()
		delete(d.noticeSubs, id)
		d.noticeMu.Unlock()
	}
}

// JobEvent is one change of the debuggee's job-control state.
type JobEvent struct {
	Pid int
	// Stopped is true when a group-stop began, false when it ended
	// (SIGCONT).
	Stopped bool
	// Signal names the stop signal ("SIGTSTP") or "SIGCONT".
	Signal string
	// Lost, when not 0, says that many changes were dropped before this
	// reader got them (it fell behind the session's bounded log); the
	// other fields are empty then but Text, which says so. The state now
	// is JobStopped's.
	Lost uint64
	Text string
}

// SubscribeJobEvents delivers the job-control changes of every process of
// the session, in order, until the last process is let go or cancel is
// called. The channel is closed then. A receiver that falls so far behind
// that the session's log dropped changes it had not got gets one event
// with Lost set in their place.
func (d *Debugger) SubscribeJobEvents() (<-chan JobEvent, func()) {
	out := make(chan JobEvent, 16)
	quit := make(chan struct{})
	var once sync.Once
	cancel := func() { once.Do(func() { close(quit) }) }
	// Only the changes from now on.
	next := d.jobs.lastSeq()
	go func() {
		defer close(out)
		for {
			evs, more := d.JobEventsAfter(next)
			for _, ev := range evs {
				next = ev.Seq
				je := JobEvent{Pid: ev.Pid, Stopped: ev.Kind == jobapi.EventStopped, Signal: ev.Signal, Lost: ev.Lost, Text: ev.Text}
				if !je.Stopped && ev.Kind == jobapi.EventContinued {
					je.Signal = "SIGCONT"
				}
				select {
				case out <- je:
				case <-quit:
					return
				}
			}
			if len(evs) > 0 {
				continue
			}
			select {
			case <-more:
				if d.jobs.isEnded() {
					if evs, _ := d.JobEventsAfter(next); len(evs) == 0 {
						return
					}
				}
			case <-quit:
				return
			}
		}
	}()
	return out, cancel
}

// JobStopped reports how far the session's live processes are in
// job-control stops: All when the debuggee as a whole is (every process),
// and which ones are. Held processes are probed first (a SIGCONT sent
// while we held one is only seen by asking).
func (d *Debugger) JobStopped() JobStop {
	d.probeJobState()
	return d.jobStop(false)
}

// LastJobStopped is JobStopped as the processes were last observed,
// without asking the kernel (cheap); nothing once the session is over.
func (d *Debugger) LastJobStopped() JobStop {
	if d.goneErr() != nil {
		return JobStop{}
	}
	return d.jobStop(false)
}

// KeepSteppingBreakpoints makes a halt or a tracepoint keep a next/step in
// progress, as Delve's DAP server does at configurationDone (the editor
// resumes an interrupted step with continue).
func (d *Debugger) KeepSteppingBreakpoints() {
	d.targetMu.Lock()
	defer d.targetMu.Unlock()
	d.grp.KeepSteppingBreakpoints = proc.HaltKeepsSteppingBreakpoints | proc.TracepointKeepsSteppingBreakpoints
}

// CreateBreakpointNamed creates a breakpoint as Client.CreateBreakpointWithExpr
// does, but accepts any name: dlv's DAP server names breakpoints after the
// request that made them (`sourceBp Path="/a/b.go" Line=7 Column=0`), which
// Delve's debugger accepts; only its JSON-RPC layer checks names.
func (d *Debugger) CreateBreakpointNamed(bp *api.Breakpoint, suspended bool) (*api.Breakpoint, error) {
	return d.createBreakpointNamed(bp, "", nil, suspended)
}

// AmendBreakpointNamed is Client.AmendBreakpoint for such names.
func (d *Debugger) AmendBreakpointNamed(bp *api.Breakpoint) error {
	return d.amendBreakpointNamed(bp)
}

// ReadMemory reads up to len(buf) bytes at addr into buf and returns how
// many it read. Unlike ExamineMemory it has no length limit (DAP clients
// read megabytes at a time).
func (d *Debugger) ReadMemory(buf []byte, addr uint64) (int, error) {
	d.targetMu.Lock()
	defer d.targetMu.Unlock()
	if _, err := d.grp.Valid(); err != nil {
		return 0, err
	}
	n, err := d.grp.Selected.Memory().ReadMemory(buf, addr)
	if err != nil {
		return n, fmt.Errorf("read %d bytes at %#x: %w", len(buf), addr, err)
	}
	return n, nil
}

// WriteMemory writes data at addr and returns how many bytes it wrote.
func (d *Debugger) WriteMemory(addr uint64, data []byte) (int, error) {
	d.targetMu.Lock()
	defer d.targetMu.Unlock()
	if _, err := d.grp.Valid(); err != nil {
		return 0, err
	}
	n, err := d.grp.Selected.Memory().WriteMemory(addr, data)
	if err != nil {
		return n, fmt.Errorf("write %d bytes at %#x: %w", len(data), addr, err)
	}
	return n, nil
}

// Images lists every image of the target: the executable first, then the
// loaded shared libraries.
func (d *Debugger) Images() []api.Image {
	d.targetMu.Lock()
	defer d.targetMu.Unlock()
	var out []api.Image
	for _, img := range d.grp.Selected.BinInfo().Images {
		ai := api.ConvertImage(img)
		ai.Trimpath = img.Trimpath
		out = append(out, ai)
	}
	return out
}

// SystemGoroutine reports whether goroutine goid is a runtime goroutine
// (as `goroutines -with user` tells them apart).
func (d *Debugger) SystemGoroutine(goid int64) (bool, error) {
	d.targetMu.Lock()
	defer d.targetMu.Unlock()
	if _, err := d.grp.Valid(); err != nil {
		return false, err
	}
	g, err := proc.FindGoroutine(d.grp.Selected, goid)
	if err != nil {
		return false, err
	}
	if g == nil {
		return false, errors.New("no goroutine")
	}
	return g.System(d.grp.Selected), nil
}

// TextRange returns the first and last+1 addresses of the executable's
// functions, and a PC's enclosing function [entry, end) when pc is in one
// (ok false otherwise). The DAP disassembler aligns its ranges with them.
func (d *Debugger) TextRange(pc uint64) (first, last, entry, end uint64, ok bool) {
	d.targetMu.Lock()
	defer d.targetMu.Unlock()
	bi := d.grp.Selected.BinInfo()
	if len(bi.Functions) == 0 {
		return 0, 0, 0, 0, false
	}
	first, last = bi.Functions[0].Entry, bi.Functions[len(bi.Functions)-1].End
	if fn := bi.PCToFunc(pc); fn != nil {
		return first, last, fn.Entry, fn.End, true
	}
	return first, last, 0, 0, false
}
