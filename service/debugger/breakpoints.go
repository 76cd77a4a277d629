package debugger

import (
	"errors"
	"fmt"
	"sort"

	"github.com/go-delve/delve/pkg/locspec"
	"github.com/go-delve/delve/pkg/proc"
	"github.com/go-delve/delve/service/api"
)

// createBreakpoint creates a logical breakpoint. The location is taken
// from the first of: TraceReturn (Addr is a return address), File:Line,
// FunctionName[:Line], Addrs, Addr. locExpr, if given, is kept to place
// the breakpoint again when it is re-enabled (new libraries, restart);
// suspended keeps a breakpoint whose location is not found yet.
func (d *Debugger) createBreakpoint(req *api.Breakpoint, locExpr string, substitutePathRules [][2]string, suspended bool) (*api.Breakpoint, error) {
	if err := api.ValidBreakpointName(req.Name); err != nil {
		return nil, err
	}
	return d.createBreakpointNamed(req, locExpr, substitutePathRules, suspended)
}

// createBreakpointNamed is createBreakpoint without the check of the
// name's syntax (see CreateBreakpointNamed).
func (d *Debugger) createBreakpointNamed(req *api.Breakpoint, locExpr string, substitutePathRules [][2]string, suspended bool) (*api.Breakpoint, error) {
	d.targetMu.Lock()
	defer d.targetMu.Unlock()
	if _, err := d.grp.Valid(); err != nil && !suspended {
		return nil, err
	}
	if req.Name != "" && d.breakpointByName(req.Name) != nil {
		return nil, errors.New("breakpoint name already exists")
	}
	if lbp := d.grp.LogicalBreakpoints[req.ID]; lbp != nil {
		return d.convertBreakpoint(lbp), proc.BreakpointExistsError{File: lbp.File, Line: lbp.Line}
	}

	pid := d.grp.Selected.Pid()
	several := len(d.grp.Targets()) > 1
	var set proc.SetBreakpoint
	switch {
	case req.TraceReturn:
		if several {
			return nil, ErrNotImplementedWithMultitarget
		}
		set.PidAddrs = []proc.PidAddr{{Pid: pid, Addr: req.Addr}}
	case req.File != "":
		set.File, set.Line = req.File, req.Line
	case req.FunctionName != "":
		set.FunctionName, set.Line = req.FunctionName, req.Line
	case len(req.Addrs) > 0:
		// With several processes each address says whose it is, as
		// FindLocation gave it (api.Location.PCPids).
		if several && len(req.Addrs) != len(req.AddrPid) {
			return nil, errors.New("mismatched length in addrs and addrpid")
		}
		for i, addr := range req.Addrs {
			if several {
				pid = req.AddrPid[i]
			}
			set.PidAddrs = append(set.PidAddrs, proc.PidAddr{Pid: pid, Addr: addr})
		}
	case req.Addr != 0:
		set.PidAddrs = []proc.PidAddr{{Pid: pid, Addr: req.Addr}}
	}
	if locExpr != "" {
		spec, err := locspec.Parse(locExpr)
		if err != nil {
			return nil, err
		}
		args := d.cfg.ProcessArgs
		set.Expr = func(t *proc.Target) []uint64 {
			locs, _, err := spec.Find(t, args, nil, locExpr, false, substitutePathRules)
			if err != nil || len(locs) != 1 {
				return nil
			}
			return locs[0].PCs
		}
		set.ExprString = locExpr
	}

	id := req.ID
	if id <= 0 {
		d.bpIDCounter++
		id = d.bpIDCounter
	} else if id > d.bpIDCounter {
		d.bpIDCounter = id
	}
	lbp := &proc.LogicalBreakpoint{LogicalID: id, HitCount: make(map[int64]uint64), Set: set}
	d.grp.LogicalBreakpoints[id] = lbp
	if err := d.copyBreakpointInfo(lbp, req); err != nil {
		delete(d.grp.LogicalBreakpoints, id)
		return nil, err
	}
	if set.Expr != nil {
		if addrs := set.Expr(d.grp.Selected); len(addrs) > 0 {
			file, line, fn := d.grp.Selected.BinInfo().PCToLine(addrs[0])
			lbp.File, lbp.Line = file, line
			if fn != nil {
				lbp.FunctionName = fn.Name
			}
		}
	}
	if err := d.grp.SetBreakpointEnabled(lbp, true); err != nil && !suspended {
		delete(d.grp.LogicalBreakpoints, id)
		return nil, err
	}
	return d.convertBreakpoint(lbp), nil
}

// copyBreakpointInfo sets what a breakpoint does when hit, and its
// conditions. targetMu held.
func (d *Debugger) copyBreakpointInfo(lbp *proc.LogicalBreakpoint, req *api.Breakpoint) error {
	lbp.Name = req.Name
	lbp.Tracepoint = req.Tracepoint
	lbp.TraceReturn = req.TraceReturn
	lbp.Goroutine = req.Goroutine
	lbp.Stacktrace = req.Stacktrace
	lbp.Variables = req.Variables
	lbp.LoadArgs = api.LoadConfigToProc(req.LoadArgs)
	lbp.LoadLocals = api.LoadConfigToProc(req.LoadLocals)
	lbp.CustomCommands = req.CustomCommands
	lbp.UserData = req.UserData
	lbp.RootFuncName = req.RootFuncName
	lbp.TraceFollowCalls = req.TraceFollowCalls
	return d.grp.ChangeBreakpointCondition(lbp, req.Cond, req.HitCond, req.HitCondPerG)
}

// convertBreakpoint converts a logical breakpoint with its physical
// breakpoints. targetMu held.
func (d *Debugger) convertBreakpoint(lbp *proc.LogicalBreakpoint) *api.Breakpoint {
	abp := api.ConvertLogicalBreakpoint(lbp)
	var bps []*proc.Breakpoint
	var pids []int
	for it := (proc.ValidTargets{Group: d.grp}); it.Next(); {
		for _, bp := range it.Breakpoints().M {
			if bp.LogicalID() == lbp.LogicalID {
				bps = append(bps, bp)
				pids = append(pids, it.Pid())
			}
		}
	}
	api.ConvertPhysicalBreakpoints(abp, lbp, pids, bps)
	return abp
}

// threadBreakpoint is the user breakpoint th is stopped at. targetMu held.
func (d *Debugger) threadBreakpoint(th proc.Thread) *api.Breakpoint {
	if bs := th.Breakpoint(); bs.Active && bs.Breakpoint != nil && bs.Breakpoint.Logical != nil {
		return d.convertBreakpoint(bs.Breakpoint.Logical)
	}
	return nil
}

func (d *Debugger) breakpointByName(name string) *api.Breakpoint {
	for _, lbp := range d.grp.LogicalBreakpoints {
		if lbp.Name == name {
			return d.convertBreakpoint(lbp)
		}
	}
	return nil
}

func (d *Debugger) logicalByName(name string) *proc.LogicalBreakpoint {
	for _, lbp := range d.grp.LogicalBreakpoints {
		if lbp.Name == name {
			return lbp
		}
	}
	return nil
}

// findBreakpoint returns the breakpoint named name, or else with ID id.
func (d *Debugger) findBreakpoint(id int, name string) (*api.Breakpoint, error) {
	d.targetMu.Lock()
	defer d.targetMu.Unlock()
	lbp, err := d.logicalLocked(id, name)
	if err != nil {
		return nil, err
	}
	return d.convertBreakpoint(lbp), nil
}

func (d *Debugger) logicalLocked(id int, name string) (*proc.LogicalBreakpoint, error) {
	if name != "" {
		if lbp := d.logicalByName(name); lbp != nil {
			return lbp, nil
		}
		return nil, fmt.Errorf("no breakpoint with name %s", name)
	}
	if lbp := d.grp.LogicalBreakpoints[id]; lbp != nil {
		return lbp, nil
	}
	return nil, fmt.Errorf("no breakpoint with id %d", id)
}

func (d *Debugger) isWatchpoint(lbp *proc.LogicalBreakpoint) bool {
	for it := (proc.ValidTargets{Group: d.grp}); it.Next(); {
		for _, bp := range it.Breakpoints().M {
			if bp.LogicalID() == lbp.LogicalID {
				return bp.WatchType != 0
			}
		}
	}
	return false
}

// amendLocked changes a breakpoint's conditions and actions and enables
// or disables it. targetMu held.
func (d *Debugger) amendLocked(amend *api.Breakpoint) error {
	lbp := d.grp.LogicalBreakpoints[amend.ID]
	if lbp == nil {
		return fmt.Errorf("no breakpoint with ID %d", amend.ID)
	}
	if amend.Disabled && d.isWatchpoint(lbp) {
		return errors.New("can not disable watchpoints")
	}
	if err := d.copyBreakpointInfo(lbp, amend); err != nil {
		return err
	}
	return d.grp.SetBreakpointEnabled(lbp, !amend.Disabled)
}

func (d *Debugger) amendBreakpoint(amend *api.Breakpoint) error {
	if err := api.ValidBreakpointName(amend.Name); err != nil {
		return err
	}
	return d.amendBreakpointNamed(amend)
}

func (d *Debugger) amendBreakpointNamed(amend *api.Breakpoint) error {
	d.targetMu.Lock()
	defer d.targetMu.Unlock()
	return d.amendLocked(amend)
}

// toggleBreakpoint enables a disabled breakpoint or disables an enabled
// one, found by name or else by ID.
func (d *Debugger) toggleBreakpoint(id int, name string) (*api.Breakpoint, error) {
	d.targetMu.Lock()
	defer d.targetMu.Unlock()
	lbp, err := d.logicalLocked(id, name)
	if err != nil {
		return nil, err
	}
	abp := d.convertBreakpoint(lbp)
	abp.Disabled = !abp.Disabled
	if err := api.ValidBreakpointName(abp.Name); err != nil {
		return nil, err
	}
	if err := d.amendLocked(abp); err != nil {
		return nil, err
	}
	return d.convertBreakpoint(lbp), nil
}

// clearBreakpoint deletes a breakpoint found by name, else by ID, else
// (ID 0, addr not 0) by address.
func (d *Debugger) clearBreakpoint(id int, name string, addr uint64) (*api.Breakpoint, error) {
	d.targetMu.Lock()
	defer d.targetMu.Unlock()
	var lbp *proc.LogicalBreakpoint
	if name == "" && id == 0 && addr != 0 {
		if len(d.grp.Targets()) > 1 {
			return nil, ErrNotImplementedWithMultitarget
		}
		bp := d.grp.Selected.Breakpoints().M[addr]
		if bp == nil || bp.Logical == nil {
			return nil, fmt.Errorf("no breakpoint at address %#x", addr)
		}
		lbp = bp.Logical
	} else {
		var err error
		if lbp, err = d.logicalLocked(id, name); err != nil {
			return nil, err
		}
	}
	cleared := d.convertBreakpoint(lbp)
	if err := d.grp.SetBreakpointEnabled(lbp, false); err != nil {
		return nil, err
	}
	delete(d.grp.LogicalBreakpoints, lbp.LogicalID)
	return cleared, nil
}

// listBreakpoints lists the logical breakpoints, or with all every
// physical breakpoint, internal ones included.
func (d *Debugger) listBreakpoints(all bool) []*api.Breakpoint {
	d.targetMu.Lock()
	defer d.targetMu.Unlock()
	r := []*api.Breakpoint{}
	if !all {
		for _, lbp := range d.grp.LogicalBreakpoints {
			r = append(r, d.convertBreakpoint(lbp))
		}
		sort.Slice(r, func(i, j int) bool { return r[i].ID < r[j].ID })
		return r
	}
	for it := (proc.ValidTargets{Group: d.grp}); it.Next(); {
		for _, bp := range it.Breakpoints().M {
			abp := &api.Breakpoint{}
			if bp.Logical != nil {
				abp = api.ConvertLogicalBreakpoint(bp.Logical)
			}
			api.ConvertPhysicalBreakpoints(abp, bp.Logical, []int{it.Pid()}, []*proc.Breakpoint{bp})
			abp.VerboseDescr = bp.VerboseDescr()
			r = append(r, abp)
		}
	}
	sort.Slice(r, func(i, j int) bool { return r[i].Addr < r[j].Addr })
	return r
}

// createWatchpoint watches expr, evaluated in scope.
func (d *Debugger) createWatchpoint(scope api.EvalScope, expr string, wtype api.WatchType) (*api.Breakpoint, error) {
	d.targetMu.Lock()
	defer d.targetMu.Unlock()
	tgt := d.grp.Selected
	s, err := proc.ConvertEvalScope(tgt, scope.GoroutineID, scope.Frame, scope.DeferredCall)
	if err != nil {
		return nil, err
	}
	id := d.bpIDCounter + 1
	bp, err := tgt.SetWatchpoint(id, s, expr, proc.WatchType(wtype), nil)
	if err != nil {
		return nil, err
	}
	d.bpIDCounter = id
	if d.breakpointByName(expr) == nil {
		bp.Logical.Name = expr
	}
	return d.convertBreakpoint(bp.Logical), nil
}

// functionReturnLocationsLocked returns the addresses where fnName
// returns: its RET instructions and its calls to runtime.deferreturn.
// targetMu held.
func (d *Debugger) functionReturnLocationsLocked(fnName string) ([]uint64, error) {
	if len(d.grp.Targets()) > 1 {
		return nil, ErrNotImplementedWithMultitarget
	}
	tgt := d.grp.Selected
	fns, err := tgt.BinInfo().FindFunction(fnName)
	if err != nil {
		return nil, err
	}
	var regs proc.Registers
	if g := tgt.SelectedGoroutine(); g != nil && g.Thread != nil {
		regs, _ = g.Thread.Registers()
	}
	var addrs []uint64
	for _, fn := range fns {
		text, err := proc.Disassemble(tgt.Memory(), regs, tgt.Breakpoints(), tgt.BinInfo(), fn.Entry, fn.End)
		if err != nil {
			return nil, err
		}
		for _, inst := range text {
			if inst.IsRet() {
				addrs = append(addrs, inst.Loc.PC)
			}
		}
		addrs = append(addrs, proc.FindDeferReturnCalls(text)...)
	}
	return addrs, nil
}

func (d *Debugger) functionReturnLocations(fnName string) ([]uint64, error) {
	d.targetMu.Lock()
	defer d.targetMu.Unlock()
	return d.functionReturnLocationsLocked(fnName)
}
