package dap

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/go-delve/delve/pkg/locspec"
	"github.com/go-delve/delve/service/api"
	"github.com/google/go-dap"
)

// Breakpoints are named after the request that made them, as in dlv: a
// request replaces every breakpoint of its kind (and source file).
const (
	functionBpPrefix    = "functionBreakpoint"
	instructionBpPrefix = "instructionBreakpoint"
	dataBpPrefix        = "dataBreakpoint"
)

type bpMetadata struct {
	name, condition, hitCondition, logMessage string
}

type bpLocation struct {
	watchpoint bool
	file       string
	line       int
	addr       uint64
	addrs      []uint64
	// function: a function breakpoint placed by name in every process
	// (follow-exec), rather than at addresses of one.
	function string
	goid     int64 // a DAP thread id
	frame    int
	expr     string
	wtype    api.WatchType
}

func (ss *session) onSetBreakpoints(r *dap.SetBreakpointsRequest) {
	if r.Arguments.Source.Path == "" {
		ss.sendError(r.Request, UnableToSetBreakpoints, "Unable to set or clear breakpoints", "empty file path")
		return
	}
	serverPath := ss.toServerPath(r.Arguments.Source.Path)
	prefix := fmt.Sprintf("sourceBp Path=%q ", r.Arguments.Source.Path)
	want := r.Arguments.Breakpoints
	bps := ss.setBreakpoints(ss.matchingBreakpoints(func(bp *api.Breakpoint) bool { return strings.HasPrefix(bp.Name, prefix) }), len(want),
		func(i int) bpMetadata {
			return bpMetadata{fmt.Sprintf("%s Line=%d Column=%d", prefix, want[i].Line, want[i].Column), want[i].Condition, want[i].HitCondition, want[i].LogMessage}
		},
		func(i int) (*bpLocation, error) { return &bpLocation{file: serverPath, line: want[i].Line}, nil })
	ss.send(&dap.SetBreakpointsResponse{Response: *ss.newResponse(r.Request), Body: dap.SetBreakpointsResponseBody{Breakpoints: bps}})
}

func (ss *session) onSetFunctionBreakpoints(r *dap.SetFunctionBreakpointsRequest) {
	d, c := ss.debugger()
	want := r.Arguments.Breakpoints
	bps := ss.setBreakpoints(ss.matchingBreakpoints(func(bp *api.Breakpoint) bool { return strings.HasPrefix(bp.Name, functionBpPrefix) }), len(want),
		func(i int) bpMetadata {
			return bpMetadata{name: fmt.Sprintf("%s Name=%s", functionBpPrefix, want[i].Name), condition: want[i].Condition, hitCondition: want[i].HitCondition}
		},
		func(i int) (*bpLocation, error) {
			name := want[i].Name
			spec, err := locspec.Parse(name)
			if err != nil {
				return nil, err
			}
			loc, ok := spec.(*locspec.NormalLocationSpec)
			if !ok || loc.FuncBase == nil {
				return nil, fmt.Errorf("breakpoint name %q could not be parsed as a function. name must be in the format 'funcName', 'funcName:line' or 'fileName:line'", name)
			}
			if name[0] == '.' {
				return nil, errors.New("breakpoint names that are relative paths are not supported")
			}
			// With follow-exec on, a plain function name is placed by name
			// in every process, those to come included: at addresses, it
			// would be the current process's only (as in dlv).
			byName := loc.LineOffset < 0 && !strings.Contains(name, ":") && d.FollowExecEnabled()
			locs, _, err := c.FindLocation(api.EvalScope{GoroutineID: -1}, name, true, ss.args.clientToServer)
			if err == nil && len(locs) == 0 {
				err = fmt.Errorf("location %q not found", name)
			}
			switch {
			case byName && err == nil && locs[0].Function != nil:
				return &bpLocation{function: locs[0].Function.Name()}, nil
			case byName:
				// No process has it yet: suspended until one has.
				return &bpLocation{function: name}, nil
			case err != nil:
				return nil, err
			}
			return &bpLocation{addr: locs[0].PC, addrs: locs[0].PCs}, nil
		})
	ss.send(&dap.SetFunctionBreakpointsResponse{Response: *ss.newResponse(r.Request), Body: dap.SetFunctionBreakpointsResponseBody{Breakpoints: bps}})
}

func (ss *session) onSetInstructionBreakpoints(r *dap.SetInstructionBreakpointsRequest) {
	want := r.Arguments.Breakpoints
	bps := ss.setBreakpoints(ss.matchingBreakpoints(func(bp *api.Breakpoint) bool { return strings.HasPrefix(bp.Name, instructionBpPrefix) }), len(want),
		func(i int) bpMetadata {
			return bpMetadata{name: fmt.Sprintf("%s PC=%s", instructionBpPrefix, want[i].InstructionReference), condition: want[i].Condition, hitCondition: want[i].HitCondition}
		},
		func(i int) (*bpLocation, error) {
			addr, err := strconv.ParseInt(want[i].InstructionReference, 0, 64)
			if err != nil {
				return nil, err
			}
			return &bpLocation{addr: uint64(addr + int64(want[i].Offset))}, nil
		})
	ss.send(&dap.SetInstructionBreakpointsResponse{Response: *ss.newResponse(r.Request), Body: dap.SetInstructionBreakpointsResponseBody{Breakpoints: bps}})
}

func (ss *session) onDataBreakpointInfo(r *dap.DataBreakpointInfoRequest) {
	var goid int64 = -1
	var frame int
	var expr, descr string
	if v, ok := ss.handles.variable(r.Arguments.VariablesReference); ok {
		found := false
		for i := range v.Children {
			child := &v.Children[i]
			if child.Name != r.Arguments.Name {
				continue
			}
			if child.Unreadable != "" {
				ss.sendError(r.Request, UnableToGetDataBreakpointInfo, "Could not get data breakpoint info", fmt.Sprintf("field %s is unreadable: %v", r.Arguments.Name, child.Unreadable))
				return
			}
			size, err := ss.typeSize(child)
			if err != nil {
				ss.sendError(r.Request, UnableToGetDataBreakpointInfo, "Could not get data breakpoint info", err.Error())
				return
			}
			expr = fmt.Sprintf("*(*[%d]byte)(%#x)", size, child.Addr)
			descr = v.Name + "." + child.Name
			found = true
			break
		}
		if !found {
			ss.sendError(r.Request, UnableToGetDataBreakpointInfo, "Could not get data breakpoint info", fmt.Sprintf("field %s not found", r.Arguments.Name))
			return
		}
	} else {
		if r.Arguments.VariablesReference != 0 {
			ss.sendError(r.Request, UnableToGetDataBreakpointInfo, "Could not get data breakpoint info", fmt.Sprintf("variable reference %d unknown", r.Arguments.VariablesReference))
			return
		}
		if sf, ok := ss.handles.frame(r.Arguments.FrameId); ok {
			goid, frame = int64(sf.goroutineID), sf.frameIndex
		}
		expr, descr = r.Arguments.Name, r.Arguments.Name
	}
	ss.send(&dap.DataBreakpointInfoResponse{Response: *ss.newResponse(r.Request), Body: dap.DataBreakpointInfoResponseBody{
		DataId:      fmt.Sprintf("%d,%d,%s", goid, frame, expr),
		AccessTypes: []dap.DataBreakpointAccessType{"read", "write", "readWrite"},
		Description: descr,
	}})
}

// typeSize returns the size of a variable's type, asked of the session.
func (ss *session) typeSize(v *api.Variable) (int64, error) {
	_, c := ss.debugger()
	ti, err := c.TypeInfo(v.RealType)
	if err != nil {
		return 0, fmt.Errorf("size of %s: %w", v.Type, err)
	}
	return ti.Size, nil
}

func (ss *session) onSetDataBreakpoints(r *dap.SetDataBreakpointsRequest) {
	want := r.Arguments.Breakpoints
	bps := ss.setBreakpoints(ss.matchingBreakpoints(func(bp *api.Breakpoint) bool { return bp.WatchExpr != "" }), len(want),
		func(i int) bpMetadata {
			return bpMetadata{name: fmt.Sprintf("%s %s", dataBpPrefix, want[i].DataId), condition: want[i].Condition, hitCondition: want[i].HitCondition}
		},
		func(i int) (*bpLocation, error) {
			parts := strings.SplitN(want[i].DataId, ",", 3)
			if len(parts) != 3 {
				return nil, fmt.Errorf("malformed data ID: %q", want[i].DataId)
			}
			goid, err1 := strconv.ParseInt(parts[0], 0, 64)
			frame, err2 := strconv.ParseInt(parts[1], 0, 64)
			if err1 != nil || err2 != nil {
				return nil, fmt.Errorf("malformed data ID: %q", want[i].DataId)
			}
			var wtype api.WatchType
			switch want[i].AccessType {
			case "read":
				wtype = api.WatchRead
			case "write":
				wtype = api.WatchWrite
			case "readWrite":
				wtype = api.WatchRead | api.WatchWrite
			default:
				return nil, fmt.Errorf("unknown access type: %q", want[i].AccessType)
			}
			return &bpLocation{watchpoint: true, goid: goid, frame: int(frame), expr: parts[2], wtype: wtype}, nil
		})
	ss.send(&dap.SetDataBreakpointsResponse{Response: *ss.newResponse(r.Request), Body: dap.SetDataBreakpointsResponseBody{Breakpoints: bps}})
}

// matchingBreakpoints returns the user breakpoints (not the panic and
// throw ones, whose ids are negative) that keep says belong to a request.
func (ss *session) matchingBreakpoints(keep func(*api.Breakpoint) bool) map[string]*api.Breakpoint {
	_, c := ss.debugger()
	all, _ := c.ListBreakpoints(false)
	out := make(map[string]*api.Breakpoint, len(all))
	for _, bp := range all {
		if bp.ID >= 0 && keep(bp) {
			out[bp.Name] = bp
		}
	}
	return out
}

// setBreakpoints makes the breakpoints of one request: those that exist
// and are asked for again are amended, those no longer asked for are
// cleared, new ones are created.
func (ss *session) setBreakpoints(existing map[string]*api.Breakpoint, total int, meta func(int) bpMetadata, loc func(int) (*bpLocation, error)) []dap.Breakpoint {
	d, c := ss.debugger()
	seen := make(map[string]bool, len(existing))
	out := make([]dap.Breakpoint, total)
	for i := range total {
		want := meta(i)
		got, ok := existing[want.name]
		if !ok {
			continue
		}
		var err error
		if seen[want.name] {
			err = errors.New("breakpoint already exists")
		} else {
			got.Disabled = false
			got.Cond = want.condition
			got.HitCond = want.hitCondition
			if err = setLogMessage(got, want.logMessage); err == nil {
				err = d.AmendBreakpointNamed(got)
			}
		}
		seen[want.name] = true
		ss.fillBreakpoint(&out[i], err, got)
	}
	for name, bp := range existing {
		if !seen[name] {
			if _, err := c.ClearBreakpoint(bp.ID); err != nil {
				ss.srv.logf("DAP: clear breakpoint %d: %v", bp.ID, err)
			}
		}
	}
	// As dlv: a breakpoint no process has a location for yet is kept
	// (suspended) when new code can come: a plugin, or a followed child.
	fns, _ := c.ListFunctions(`^plugin\.Open$`, 0)
	suspended := len(fns) > 0 || d.FollowExecEnabled()
	for i := range total {
		want := meta(i)
		if _, ok := existing[want.name]; ok {
			continue
		}
		var got *api.Breakpoint
		where, err := loc(i)
		if err == nil {
			if seen[want.name] {
				err = errors.New("breakpoint already exists")
			} else {
				bp := &api.Breakpoint{Name: want.name, File: where.file, Line: where.line, FunctionName: where.function, Addr: where.addr, Addrs: where.addrs, Cond: want.condition, HitCond: want.hitCondition}
				if err = setLogMessage(bp, want.logMessage); err == nil {
					if where.watchpoint {
						got, err = ss.createWatchpoint(where)
						if err == nil {
							got.Name, got.Cond, got.HitCond = bp.Name, bp.Cond, bp.HitCond
							err = d.AmendBreakpointNamed(got)
						}
					} else {
						got, err = d.CreateBreakpointNamed(bp, suspended)
					}
				}
			}
		}
		seen[want.name] = true
		ss.fillBreakpoint(&out[i], err, got)
	}
	return out
}

// createWatchpoint sets a data breakpoint in the scope of where, whose
// goroutine is a DAP thread id.
func (ss *session) createWatchpoint(where *bpLocation) (*api.Breakpoint, error) {
	k, err := ss.selectThread(int(where.goid))
	if err != nil {
		return nil, err
	}
	_, c := ss.debugger()
	return c.CreateWatchpoint(api.EvalScope{GoroutineID: k.goid, Frame: where.frame}, where.expr, where.wtype)
}

func (ss *session) fillBreakpoint(out *dap.Breakpoint, err error, got *api.Breakpoint) {
	if err == nil && len(got.Addrs) == 0 {
		err = errors.New("unable to set breakpoint")
	}
	out.Verified = err == nil
	if err != nil {
		out.Message = err.Error()
	}
	if got != nil {
		out.Id = got.ID
		if got.File != "" {
			path := ss.toClientPath(got.File)
			out.Line = got.Line
			out.Source = &dap.Source{Name: filepath.Base(path), Path: path}
		}
	}
}

func (ss *session) onSetExceptionBreakpoints(r *dap.SetExceptionBreakpointsRequest) {
	d, c := ss.debugger()
	enabled := make(map[string]bool)
	for _, f := range r.Arguments.Filters {
		enabled[f] = true
	}
	all, _ := c.ListBreakpoints(false)
	for _, bp := range all {
		if bp.ID < 0 && enabled[bp.Name] == bp.Disabled {
			bp.Disabled = !enabled[bp.Name]
			if err := d.AmendBreakpointNamed(bp); err != nil {
				ss.srv.logf("DAP: amend breakpoint %s: %v", bp.Name, err)
			}
		}
	}
	resp := &dap.SetExceptionBreakpointsResponse{Response: *ss.newResponse(r.Request)}
	all, _ = c.ListBreakpoints(false)
	for _, bp := range all {
		if bp.ID < 0 && !bp.Disabled {
			resp.Body.Breakpoints = append(resp.Body.Breakpoints, dap.Breakpoint{})
			ss.fillBreakpoint(&resp.Body.Breakpoints[len(resp.Body.Breakpoints)-1], nil, bp)
		}
	}
	ss.send(resp)
}

// logMessage is a logpoint's message: format with one %s per {expr}.
type logMessage struct {
	format string
	args   []string
}

func setLogMessage(bp *api.Breakpoint, msg string) error {
	lm, err := parseLogPoint(msg)
	if err != nil {
		return err
	}
	bp.Tracepoint = lm != nil
	if lm != nil {
		bp.UserData = *lm
	}
	return nil
}

// parseLogPoint reads a DAP log message ("Expressions within {} are
// interpolated"; braces inside an expression must pair up). nil: no
// message, so not a logpoint.
func parseLogPoint(msg string) (*logMessage, error) {
	var format, expr strings.Builder
	var args []string
	depth := 0
	for _, r := range msg {
		switch {
		case depth == 0 && r == '}':
			return nil, errors.New("invalid log point format, unexpected '}'")
		case depth == 0 && r == '{':
			depth = 1
			expr.Reset()
		case depth == 0:
			format.WriteRune(r)
		case r == '}' && depth == 1:
			depth = 0
			e := strings.TrimSpace(expr.String())
			if e == "" {
				return nil, errors.New("empty evaluation string")
			}
			args = append(args, e)
			format.WriteString("%s")
		default:
			if r == '{' {
				depth++
			} else if r == '}' {
				depth--
			}
			expr.WriteRune(r)
		}
	}
	if depth != 0 {
		return nil, errors.New("invalid log point format")
	}
	if format.Len() == 0 {
		return nil, nil
	}
	return &logMessage{format: format.String(), args: args}, nil
}

// handleLogPoints prints the message of every logpoint a thread stopped at.
func (ss *session) handleLogPoints(st *api.DebuggerState) {
	var pids map[int]int
	for _, th := range st.Threads {
		bp := th.Breakpoint
		if bp == nil || !bp.Tracepoint {
			continue
		}
		lm, ok := bp.UserData.(logMessage)
		if !ok {
			continue
		}
		if pids == nil {
			d, _ := ss.debugger()
			pids = ss.threadPids(d, st)
		}
		vals := make([]any, len(lm.args))
		for i, e := range lm.args {
			vals[i] = ss.evalToString(ss.threadOfThread(th, pids), e)
		}
		ss.send(&dap.OutputEvent{Event: *ss.newEvent("output"), Body: dap.OutputEventBody{
			Category: "stdout",
			Output:   fmt.Sprintf("> [Go %d]: %s\n", th.GoroutineID, fmt.Sprintf(lm.format, vals...)),
			Source:   &dap.Source{Path: ss.toClientPath(bp.File)},
			Line:     bp.Line,
		}})
	}
}

// evalToString evaluates expr in the goroutine of DAP thread id thread.
func (ss *session) evalToString(thread int, expr string) string {
	v, err := ss.eval(int64(thread), 0, expr, ss.apiLoadConfig())
	if err != nil {
		return fmt.Sprintf("{eval err: %e}", err)
	}
	val, _ := ss.convertVariable(v, "", skipRef|showFullValue, -1, 0)
	return val
}

func (ss *session) toClientPath(path string) string {
	if len(ss.args.serverToClient) == 0 {
		return path
	}
	return locspec.SubstitutePath(path, ss.args.serverToClient)
}

func (ss *session) toServerPath(path string) string {
	if len(ss.args.clientToServer) == 0 {
		return path
	}
	return locspec.SubstitutePath(path, ss.args.clientToServer)
}
