package dap

import (
	"bytes"
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/go-delve/delve/pkg/proc"
	"github.com/go-delve/delve/service/api"
	"github.com/google/go-dap"
)

// maxGoroutines is how many goroutines a threads answer lists at most, as
// in dlv.
const maxGoroutines = 1 << 10

// fnName is a function's name without its package path ("pkg.(*T).M").
func fnName(fn *api.Function) string {
	if fn == nil {
		return "???"
	}
	name := fn.Name()
	if slash := strings.LastIndex(packageName(name), "/"); slash >= 0 {
		return name[slash+1:]
	}
	return name
}

func fnPackageName(fn *api.Function) string {
	if fn == nil {
		return "runtime"
	}
	return packageName(fn.Name())
}

func (ss *session) onThreads(r *dap.ThreadsRequest) {
	_, c := ss.debugger()
	filters, _, _, _, _, _, _, perr := api.ParseGoroutineArgs(ss.args.GoroutineFilters)
	if perr != nil {
		ss.logToConsole(perr.Error())
	}
	if ss.args.HideSystemGoroutines {
		filters = append(filters, api.ListGoroutinesFilter{Kind: api.GoroutineUser})
	}
	st, _ := c.GetStateNonBlocking()
	procs := ss.processes(st)
	var threads []dap.Thread
	var lastErr error
	for _, p := range procs {
		ts, err := ss.processThreads(p, st, filters, len(procs) > 1)
		if err != nil {
			lastErr = err
			continue
		}
		threads = append(threads, ts...)
	}
	if len(procs) > 1 && st != nil {
		// Leave the session on the process the last stop selected.
		_ = ss.selectProcess(st.Pid)
	}
	if lastErr != nil && !processExited(nil, lastErr) {
		ss.output("stderr", fmt.Sprintf("Unable to retrieve goroutines: %s\n", lastErr))
	}
	if len(threads) == 0 {
		threads = []dap.Thread{{Id: 1, Name: "Dummy"}}
	}
	ss.send(&dap.ThreadsResponse{Response: *ss.newResponse(r.Request), Body: dap.ThreadsResponseBody{Threads: threads}})
}

// debuggedProcess is one live process of the session.
type debuggedProcess struct {
	pid int
	// selected: the process the session selected (the last stop's).
	selected bool
}

// processes lists the live processes of the session, the first one (the
// one launched or attached) first; none selected in a session that
// cannot say (a core file, an error).
func (ss *session) processes(st *api.DebuggerState) []debuggedProcess {
	d, c := ss.debugger()
	pids := d.LivePids()
	if len(pids) == 0 || (len(pids) == 1 && pids[0] == c.FirstPid()) {
		// One process: no selection to make, as before.
		return []debuggedProcess{{selected: true}}
	}
	out := make([]debuggedProcess, 0, len(pids))
	for _, pid := range pids {
		out = append(out, debuggedProcess{pid: pid, selected: st != nil && pid == st.Pid})
	}
	return out
}

// processThreads lists the goroutines of process p as DAP threads. In a
// session of several processes each name starts with the pid.
func (ss *session) processThreads(p debuggedProcess, st *api.DebuggerState, filters []api.ListGoroutinesFilter, several bool) ([]dap.Thread, error) {
	if err := ss.selectProcess(p.pid); err != nil {
		return nil, err
	}
	_, c := ss.debugger()
	gs, _, next, _, err := c.ListGoroutinesWithFilter(0, maxGoroutines, filters, nil, nil)
	if err != nil {
		return nil, err
	}
	var selected int64 = -1
	var selectedG *api.Goroutine
	if p.selected && st != nil && st.SelectedGoroutine != nil {
		selected, selectedG = st.SelectedGoroutine.ID, st.SelectedGoroutine
	}
	if next >= 0 {
		ss.logToConsole(fmt.Sprintf("Too many goroutines, only loaded %d", len(gs)))
		found := false
		for _, g := range gs {
			found = found || g.ID == selected
		}
		if !found && selectedG != nil {
			gs = append(gs, selectedG)
		}
	}
	pidText := ""
	if several {
		pidText = fmt.Sprintf("[pid %d] ", p.pid)
	}
	threads := make([]dap.Thread, len(gs))
	for i, g := range gs {
		mark := ""
		if g.ID == selected {
			mark = "* "
		}
		if g.Unreadable != "" {
			threads[i].Name = fmt.Sprintf("%s%s Unreadable goroutine: %v", mark, pidText, g.Unreadable)
			continue
		}
		thread := ""
		if g.ThreadID != 0 {
			thread = fmt.Sprintf(" (Thread %d)", g.ThreadID)
		}
		threads[i].Name = fmt.Sprintf("%s%s[Go %d%s] %s%s", mark, pidText, g.ID, ss.labels(g.Labels), fnName(g.UserCurrentLoc.Function), thread)
		threads[i].Id = ss.threadOf(p.pid, g.ID)
	}
	return threads, nil
}

// labels renders the pprof labels showPprofLabels asks for.
func (ss *session) labels(labels map[string]string) string {
	keys := ss.args.ShowPprofLabels
	var b strings.Builder
	write := func(keys []string) {
		for _, k := range keys {
			if v := labels[k]; v != "" {
				fmt.Fprintf(&b, " %s:%s", k, v)
			}
		}
	}
	switch {
	case len(keys) == 1 && keys[0] == "*":
		all := make([]string, 0, len(labels))
		for k := range labels {
			all = append(all, k)
		}
		sort.Strings(all)
		write(all)
	case len(keys) == 1:
		if v := labels[keys[0]]; v != "" {
			b.WriteString(" " + v)
		}
	default:
		write(keys)
	}
	return b.String()
}

func (ss *session) onStackTrace(r *dap.StackTraceRequest) {
	d, c := ss.debugger()
	thread := r.Arguments.ThreadId
	start := max(r.Arguments.StartFrame, 0)
	levels := ss.args.StackTraceDepth
	if r.Arguments.Levels > 0 {
		levels = r.Arguments.Levels
	}
	k, err := ss.selectThread(thread)
	var frames []api.Stackframe
	if err == nil {
		frames, err = c.Stacktrace(k.goid, start+levels-1, 0, 0, nil)
	}
	if err != nil {
		ss.sendError(r.Request, UnableToProduceStackTrace, "Unable to produce stack trace", err.Error())
		return
	}
	system, serr := d.SystemGoroutine(k.goid)
	if serr != nil {
		system = true
	}
	out := []dap.StackFrame{}
	for i := 0; i < levels && start+i < len(frames); i++ {
		loc := &frames[start+i].Location
		sf := dap.StackFrame{
			Id:                          ss.handles.newFrame(frameRef{thread, start + i}),
			Line:                        loc.Line,
			Name:                        fnName(loc.Function),
			InstructionPointerReference: fmt.Sprintf("%#x", loc.PC),
		}
		if loc.File != "<autogenerated>" {
			p := ss.toClientPath(loc.File)
			sf.Source = &dap.Source{Name: filepath.Base(p), Path: p}
		}
		if !system && fnPackageName(loc.Function) == "runtime" {
			sf.PresentationHint = "subtle"
		}
		out = append(out, sf)
	}
	total := len(frames)
	if len(frames) >= start+levels && !frames[len(frames)-1].Bottom {
		// More frames may follow: tell the client to ask.
		total += ss.args.StackTraceDepth
	}
	ss.send(&dap.StackTraceResponse{Response: *ss.newResponse(r.Request), Body: dap.StackTraceResponseBody{StackFrames: out, TotalFrames: total}})
}

func (ss *session) onExceptionInfo(r *dap.ExceptionInfoRequest) {
	d, c := ss.debugger()
	thread := r.Arguments.ThreadId
	fail := func(details string) {
		ss.sendError(r.Request, UnableToGetExceptionInfo, "Unable to get exception info", details)
	}
	k, err := ss.selectThread(thread)
	if err != nil {
		fail(err.Error())
		return
	}
	goid := k.goid
	st, err := c.GetState()
	if err != nil {
		fail(err.Error())
		return
	}
	pids := ss.threadPids(d, st)
	var th *api.Thread
	for _, t := range st.Threads {
		if t.GoroutineID == goid && (pids == nil || k.pid == 0 || pids[t.ID] == k.pid) {
			th = t
			break
		}
	}
	var body dap.ExceptionInfoResponseBody
	withStack := true
	if th != nil && th.Breakpoint != nil && (th.Breakpoint.Name == proc.FatalThrow || th.Breakpoint.Name == proc.UnrecoveredPanic) {
		if th.Breakpoint.Name == proc.FatalThrow {
			body.ExceptionId = "fatal error"
			if body.Description, err = ss.exprString("s", thread, 0); err != nil {
				body.Description = fmt.Sprintf("Error getting throw reason: %s", err)
			}
		} else {
			body.ExceptionId = "panic"
			if body.Description, err = ss.exprString("(*msgs).arg.(data)", thread, 0); err != nil {
				body.Description = fmt.Sprintf("Error getting panic message: %s", err)
			}
		}
	} else {
		if ss.exceptionErr == nil {
			fail("no runtime error found")
			return
		}
		if ss.exceptionErr.Error() != "next while nexting" && (st.CurrentThread == nil || th == nil || st.CurrentThread.ID != th.ID) {
			fail(fmt.Sprintf("no exception found for goroutine %d", goid))
			return
		}
		body.ExceptionId = "runtime error"
		body.Description = ss.exceptionErr.Error()
		switch body.Description {
		case "bad access":
			body.Description = betterBadAccessError
		case "next while nexting":
			body.ExceptionId = "invalid command"
			body.Description = betterNextWhileNextingError
			withStack = false
		}
	}
	if withStack {
		body.Details = &dap.ExceptionDetails{}
		if text, err := ss.stackText(goid); err != nil {
			body.Details.StackTrace = fmt.Sprintf("Error getting stack trace: %s", err)
		} else {
			body.Details.StackTrace = text
		}
	}
	ss.send(&dap.ExceptionInfoResponse{Response: *ss.newResponse(r.Request), Body: body})
}

// stackText prints a goroutine's stack as dlv's exceptionInfo does: the
// runtime frames are left out unless the goroutine runs only runtime code.
func (ss *session) stackText(goid int64) (string, error) {
	_, c := ss.debugger()
	frames, err := c.Stacktrace(goid, ss.args.StackTraceDepth, 0, 0, nil)
	if err != nil {
		return "", err
	}
	userIsRuntime := true
	for _, f := range frames {
		if fnPackageName(f.Function) != "runtime" {
			userIsRuntime = false
			break
		}
	}
	var buf bytes.Buffer
	fmt.Fprintln(&buf, "Stack:")
	api.PrintStack(ss.toClientPath, &buf, frames, "\t", false, api.StackTraceColors{}, func(f api.Stackframe) bool {
		return userIsRuntime || (f.Function != nil && !strings.HasPrefix(f.Function.Name(), "runtime."))
	})
	return buf.String(), nil
}
