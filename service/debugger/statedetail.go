package debugger

import (
	"github.com/go-delve/delve/pkg/proc"
	"github.com/go-delve/delve/service/api"
)

// stateDetail is how much a state tells.
type stateDetail uint8

const (
	// stateFull is Delve's state: every thread with its goroutine, the
	// selected goroutine with its locations and labels.
	stateFull stateDetail = iota
	// stateBrief is what a stop's announcement needs (the DAP server's
	// stopped event: which goroutines stopped at a breakpoint, and why),
	// for the stop of every continue: every thread with its location and
	// breakpoint, but the goroutine only of the current thread, of a thread
	// at a breakpoint and of a thread in runtime.breakpoint; the selected
	// goroutine without the locations that take a stack walk or DWARF look-
	// ups (UserCurrentLoc, GoStatementLoc, StartLoc) nor its labels. Each
	// of these costs 10 to 50 us per stop; an editor asks for threads,
	// stacks and goroutines after the stop with requests of their own.
	stateBrief
)

// convertThreadBrief is convertThread for a brief state: the goroutine ID
// only where a stop's announcement looks at it (cur is the current thread).
func (d *Debugger) convertThreadBrief(th proc.Thread, bp *api.Breakpoint, cur proc.Thread) *api.Thread {
	ath, loc := threadAt(th, bp)
	if bp != nil || (cur != nil && th.ThreadID() == cur.ThreadID()) ||
		(loc != nil && loc.Fn != nil && loc.Fn.Name == "runtime.breakpoint") {
		if l := d.gLayouts.of(th.BinInfo()); l.ok {
			ath.GoroutineID = l.goroutineID(th, loc)
		} else {
			return api.ConvertThread(th, bp)
		}
	}
	return ath
}

// briefGoroutine is api.ConvertGoroutine without the locations and labels
// a brief state leaves out.
func briefGoroutine(g *proc.G) *api.Goroutine {
	if g.Unreadable != nil {
		return &api.Goroutine{Unreadable: g.Unreadable.Error()}
	}
	tid := 0
	if g.Thread != nil {
		tid = g.Thread.ThreadID()
	}
	return &api.Goroutine{
		ID:         g.ID,
		CurrentLoc: api.ConvertLocation(g.CurrentLoc),
		ThreadID:   tid,
		WaitSince:  g.WaitSince,
		WaitReason: g.WaitReason,
		Status:     g.Status,
	}
}
