package dap

// Several processes in one debug session: the children a launched or
// attached program starts (launch/attach attribute followExec, as in dlv)
// and the members of a whole job (attach attribute job). As dlv does, the
// editor is told of each child with a "process" event and of a breakpoint
// that a new process gave a location with a "breakpoint" event (reason
// "changed", verified). Beyond dlv, the threads, stacks and variables of
// every process are shown, not only those of the selected one: each
// request names a goroutine by its DAP thread id (threadids.go), and the
// process of that goroutine is selected in the session before the
// request's calls run.

import (
	"path/filepath"

	"github.com/go-delve/delve/service/api"
	"github.com/google/go-dap"

	"github.com/dlv-listen/dlv-listen/service/debugger"
)

// watchTargets forwards d's target events for as long as the session
// lasts (stopWatching ends it).
func (ss *session) watchTargets(d *debugger.Debugger) {
	remove := d.OnTargetEvent(func(ev debugger.TargetEvent) {
		if ss.isClosed() {
			return
		}
		defer ss.recoverPanic(0)
		ss.onTargetEvent(ev)
	})
	ss.mu.Lock()
	ss.stopTargets = remove
	ss.mu.Unlock()
}

func (ss *session) onTargetEvent(ev debugger.TargetEvent) {
	switch ev.Kind {
	case debugger.ProcessSpawned:
		// As dlv: one event per child, followed or not, so an editor can
		// start a debug session of its own on a child we let go.
		ss.send(&dap.ProcessEvent{Event: *ss.newEvent("process"), Body: dap.ProcessEventBody{
			Name:            ev.Cmdline,
			SystemProcessId: ev.Pid,
			IsLocalProcess:  true,
		}})
	case debugger.ProcessExited:
		ss.threadIDs.forget(ev.Pid)
	case debugger.BreakpointMaterialized:
		bp := ev.Breakpoint
		if bp == nil {
			return
		}
		body := dap.BreakpointEventBody{Reason: "changed", Breakpoint: dap.Breakpoint{Id: bp.ID, Verified: true, Line: bp.Line}}
		if bp.File != "" {
			path := ss.toClientPath(bp.File)
			body.Breakpoint.Source = &dap.Source{Name: filepath.Base(path), Path: path}
		}
		ss.send(&dap.BreakpointEvent{Event: *ss.newEvent("breakpoint"), Body: body})
	}
}

// announceMembers sends a "process" event for each process of an
// attached job, as for each child: the editor learns every process of the
// session.
func (ss *session) announceMembers(d *debugger.Debugger) {
	tgts, err := d.Client().ListTargets()
	if err != nil {
		return
	}
	for _, t := range tgts {
		ss.send(&dap.ProcessEvent{Event: *ss.newEvent("process"), Body: dap.ProcessEventBody{
			Name:            t.CmdLine,
			SystemProcessId: t.Pid,
			IsLocalProcess:  true,
			StartMethod:     "attach",
		}})
	}
}

// selectThread selects, in the session, the process of DAP thread id and
// returns the process and the goroutine id the thread stands for there.
func (ss *session) selectThread(id int) (procGoroutine, error) {
	k, err := ss.threadIDs.lookup(id)
	if err != nil {
		return k, err
	}
	if !ss.threadIDs.several() {
		// One process (so far): nothing to select, and its requests
		// answer exactly as before.
		return k, nil
	}
	return k, ss.selectProcess(k.pid)
}

// selectProcess makes pid the session's selected process.
func (ss *session) selectProcess(pid int) error {
	d, _ := ss.debugger()
	if pid == 0 || d == nil {
		return nil
	}
	return d.SelectProcess(pid)
}

// threadOf returns the DAP thread id of goroutine goid of process pid.
func (ss *session) threadOf(pid int, goid int64) int {
	return ss.threadIDs.id(pid, goid)
}

// threadPids maps the threads of st to their processes (nil when st has
// none).
func (ss *session) threadPids(d *debugger.Debugger, st *api.DebuggerState) map[int]int {
	if st == nil || len(st.Threads) == 0 {
		return nil
	}
	return d.ThreadPids()
}

// threadOfThread returns the DAP thread id of the goroutine that thread th
// runs, pids from threadPids.
func (ss *session) threadOfThread(th *api.Thread, pids map[int]int) int {
	if pids == nil {
		return int(th.GoroutineID)
	}
	return ss.threadOf(pids[th.ID], th.GoroutineID)
}

// stoppedThread is the DAP thread id of the goroutine a stop selected.
func (ss *session) stoppedThread(st *api.DebuggerState) int {
	return ss.threadOf(st.Pid, stoppedGoroutineID(st))
}
