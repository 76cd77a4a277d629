package debugger

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/go-delve/delve/pkg/dwarf/godwarf"
	"github.com/go-delve/delve/pkg/goversion"
	"github.com/go-delve/delve/pkg/locspec"
	"github.com/go-delve/delve/pkg/proc"
	"github.com/go-delve/delve/pkg/version"
	"github.com/go-delve/delve/service/api"
	"github.com/go-delve/delve/service/rpc2"
)

// scopeLocked converts an api.EvalScope. targetMu held.
func (d *Debugger) scopeLocked(scope api.EvalScope) (*proc.EvalScope, error) {
	return proc.ConvertEvalScope(d.grp.Selected, scope.GoroutineID, scope.Frame, scope.DeferredCall)
}

// withScope runs fn on scope with the target lock held.
func withScope[T any](d *Debugger, scope api.EvalScope, fn func(*proc.EvalScope) (T, error)) (T, error) {
	d.targetMu.Lock()
	defer d.targetMu.Unlock()
	s, err := d.scopeLocked(scope)
	if err != nil {
		var zero T
		return zero, err
	}
	return fn(s)
}

func (d *Debugger) evalVariable(scope api.EvalScope, expr string, cfg proc.LoadConfig) (*api.Variable, error) {
	return withScope(d, scope, func(s *proc.EvalScope) (*api.Variable, error) {
		v, err := s.EvalExpression(expr, cfg)
		if err != nil {
			return nil, err
		}
		return api.ConvertVar(v), nil
	})
}

func (d *Debugger) setVariable(scope api.EvalScope, symbol, value string) error {
	_, err := withScope(d, scope, func(s *proc.EvalScope) (struct{}, error) {
		return struct{}{}, s.SetVariable(symbol, value)
	})
	return err
}

func (d *Debugger) localVariables(scope api.EvalScope, cfg proc.LoadConfig) ([]api.Variable, error) {
	return withScope(d, scope, func(s *proc.EvalScope) ([]api.Variable, error) {
		vars, err := s.LocalVariables(cfg)
		if err != nil {
			return nil, err
		}
		return api.ConvertVars(vars), nil
	})
}

func (d *Debugger) functionArgs(scope api.EvalScope, cfg proc.LoadConfig) ([]api.Variable, error) {
	return withScope(d, scope, func(s *proc.EvalScope) ([]api.Variable, error) {
		vars, err := s.FunctionArguments(cfg)
		if err != nil {
			return nil, err
		}
		return api.ConvertVars(vars), nil
	})
}

func compileFilter(filter string) (*regexp.Regexp, error) {
	re, err := regexp.Compile(filter)
	if err != nil {
		return nil, fmt.Errorf("invalid filter argument: %v", err)
	}
	return re, nil
}

func (d *Debugger) packageVariables(filter string, cfg proc.LoadConfig) ([]api.Variable, error) {
	re, err := compileFilter(filter)
	if err != nil {
		return nil, err
	}
	d.targetMu.Lock()
	defer d.targetMu.Unlock()
	tgt := d.grp.Selected
	s, err := proc.ThreadScope(tgt, tgt.CurrentThread())
	if err != nil {
		return nil, err
	}
	vars, err := s.PackageVariables(cfg)
	if err != nil {
		return nil, err
	}
	var kept []*proc.Variable
	for _, v := range vars {
		if re.MatchString(v.Name) {
			kept = append(kept, v)
		}
	}
	return api.ConvertVars(kept), nil
}

// threads lists the threads, sorted by ID.
func (d *Debugger) threads() ([]*api.Thread, error) {
	d.targetMu.Lock()
	defer d.targetMu.Unlock()
	if _, err := d.grp.Valid(); err != nil {
		return nil, err
	}
	ths := d.grp.ThreadList()
	sort.Slice(ths, func(i, j int) bool { return ths[i].ThreadID() < ths[j].ThreadID() })
	bps := make([]*api.Breakpoint, len(ths))
	for i, th := range ths {
		bps[i] = d.threadBreakpoint(th)
	}
	return d.convertThreads(ths, bps), nil
}

func (d *Debugger) thread(id int) (*api.Thread, error) {
	d.targetMu.Lock()
	defer d.targetMu.Unlock()
	if _, err := d.grp.Valid(); err != nil {
		return nil, err
	}
	for _, th := range d.grp.ThreadList() {
		if th.ThreadID() == id {
			return d.convertThread(th, d.threadBreakpoint(th)), nil
		}
	}
	return nil, fmt.Errorf("no thread with id %d", id)
}

// registers lists the registers of a thread (thread 0: the current one),
// or of scope when it is not nil.
func (d *Debugger) registers(threadID int, scope *api.EvalScope, includeFp bool) (api.Registers, error) {
	d.targetMu.Lock()
	defer d.targetMu.Unlock()
	if _, err := d.grp.Valid(); err != nil {
		return nil, err
	}
	tgt := d.grp.Selected
	arch := tgt.BinInfo().Arch
	if scope != nil {
		s, err := d.scopeLocked(*scope)
		if err != nil {
			return nil, err
		}
		return api.ConvertRegisters(&s.Regs, arch.DwarfRegisterToString, includeFp), nil
	}
	th := tgt.CurrentThread()
	if threadID != 0 {
		var ok bool
		if th, ok = tgt.FindThread(threadID); !ok {
			return nil, fmt.Errorf("couldn't find thread %d", threadID)
		}
	}
	regs, err := th.Registers()
	if err != nil {
		return nil, err
	}
	return api.ConvertRegisters(arch.RegistersToDwarfRegisters(0, regs), arch.DwarfRegisterToString, includeFp), nil
}

// goroutines lists goroutines from start (count at most, 0 = all), kept by
// filters and grouped as group says; a channel filter lists the goroutines
// waiting on the channel expression, evaluated in scope.
func (d *Debugger) goroutines(start, count int, filters []api.ListGoroutinesFilter, group *api.GoroutineGroupingOptions, scope *api.EvalScope) ([]*api.Goroutine, []api.GoroutineGroup, int, bool, error) {
	d.targetMu.Lock()
	defer d.targetMu.Unlock()
	if _, err := d.grp.Valid(); err != nil {
		return nil, nil, 0, false, err
	}
	tgt := d.grp.Selected
	var (
		gs     []*proc.G
		nextg  int
		err    error
		loaded bool
	)
	for _, f := range filters {
		if f.Kind != api.GoroutineWaitingOnChannel {
			continue
		}
		switch {
		case f.Negated:
			return nil, nil, 0, false, errors.New("channel filter can not be negated")
		case count == 0:
			return nil, nil, 0, false, errors.New("count == 0 not allowed with a channel filter")
		case scope == nil:
			return nil, nil, 0, false, errors.New("channel filter without eval scope")
		}
		if gs, err = d.chanGoroutinesLocked(*scope, f.Arg, start, count); err != nil {
			return nil, nil, 0, false, err
		}
		nextg = -1
		if len(gs) == count {
			nextg = start + len(gs)
		}
		loaded = true
		break
	}
	if !loaded {
		if gs, nextg, err = proc.GoroutinesInfo(tgt, start, count); err != nil {
			return nil, nil, 0, false, err
		}
	}
	if len(filters) > 0 {
		kept := []*proc.G{}
		for _, g := range gs {
			if matchGoroutine(tgt, g, filters) {
				kept = append(kept, g)
			}
		}
		gs = kept
	}
	var groups []api.GoroutineGroup
	tooMany := false
	if group != nil && group.GroupBy != api.GoroutineFieldNone {
		gs, groups, tooMany = groupGoroutines(tgt, gs, group)
	}
	return api.ConvertGoroutines(tgt, gs), groups, nextg, tooMany, nil
}

func (d *Debugger) chanGoroutinesLocked(scope api.EvalScope, expr string, start, count int) ([]*proc.G, error) {
	s, err := d.scopeLocked(scope)
	if err != nil {
		return nil, err
	}
	goids, err := s.ChanGoroutines(expr, start, count)
	if err != nil {
		return nil, err
	}
	gs := make([]*proc.G, len(goids))
	for i, id := range goids {
		g, err := proc.FindGoroutine(d.grp.Selected, id)
		if g == nil {
			g = &proc.G{Unreadable: err}
		}
		gs[i] = g
	}
	return gs, nil
}

func matchGoroutine(tgt *proc.Target, g *proc.G, filters []api.ListGoroutinesFilter) bool {
	for _, f := range filters {
		var ok bool
		switch f.Kind {
		case api.GoroutineCurrentLoc:
			ok = strings.Contains(locString(g.CurrentLoc), f.Arg)
		case api.GoroutineUserLoc:
			ok = strings.Contains(locString(g.UserCurrent()), f.Arg)
		case api.GoroutineGoLoc:
			ok = strings.Contains(locString(g.Go()), f.Arg)
		case api.GoroutineStartLoc:
			ok = strings.Contains(locString(g.StartLoc(tgt)), f.Arg)
		case api.GoroutineLabel:
			if k, v, hasValue := strings.Cut(f.Arg, "="); hasValue {
				ok = g.Labels()[k] == v
			} else {
				_, ok = g.Labels()[f.Arg]
			}
		case api.GoroutineRunning:
			ok = g.Thread != nil
		case api.GoroutineUser:
			ok = !g.System(tgt)
		default: // GoroutineFieldNone; GoroutineWaitingOnChannel was applied already
			ok = true
		}
		if f.Negated {
			ok = !ok
		}
		if !ok {
			return false
		}
	}
	return true
}

// locString formats a location as goroutine filters and groups match it:
// "file:line in function".
func locString(loc proc.Location) string {
	fn := "?"
	if loc.Fn != nil {
		fn = loc.Fn.Name
	}
	return fmt.Sprintf("%s:%d in %s", loc.File, loc.Line, fn)
}

// groupGoroutines splits gs into groups sorted by name, keeping at most
// MaxGroupMembers of each (all are counted in Total) and at most MaxGroups
// groups (0: no limit).
func groupGoroutines(tgt *proc.Target, gs []*proc.G, opts *api.GoroutineGroupingOptions) ([]*proc.G, []api.GoroutineGroup, bool) {
	members := map[string][]*proc.G{}
	totals := map[string]int{}
	for _, g := range gs {
		var key string
		switch opts.GroupBy {
		case api.GoroutineCurrentLoc:
			key = locString(g.CurrentLoc)
		case api.GoroutineUserLoc:
			key = locString(g.UserCurrent())
		case api.GoroutineGoLoc:
			key = locString(g.Go())
		case api.GoroutineStartLoc:
			key = locString(g.StartLoc(tgt))
		case api.GoroutineLabel:
			key = fmt.Sprintf("%s=%s", opts.GroupByKey, g.Labels()[opts.GroupByKey])
		case api.GoroutineRunning:
			key = fmt.Sprintf("running=%v", g.Thread != nil)
		case api.GoroutineUser:
			key = fmt.Sprintf("user=%v", !g.System(tgt))
		}
		if len(members[key]) < opts.MaxGroupMembers {
			members[key] = append(members[key], g)
		}
		totals[key]++
	}
	keys := make([]string, 0, len(totals))
	for k := range totals {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := []*proc.G{}
	groups := []api.GoroutineGroup{}
	for _, k := range keys {
		if opts.MaxGroups > 0 && len(groups) >= opts.MaxGroups {
			return out, groups, true
		}
		groups = append(groups, api.GoroutineGroup{Name: k, Offset: len(out), Count: len(members[k]), Total: totals[k]})
		out = append(out, members[k]...)
	}
	return out, groups, false
}

// stacktrace returns the frames of goroutine goid (or of the current
// thread when there is no such goroutine), skip frames dropped, each
// frame's locals and arguments loaded with cfg when it is not nil.
func (d *Debugger) stacktrace(goid int64, depth, skip int, opts api.StacktraceOptions, cfg *proc.LoadConfig) ([]api.Stackframe, error) {
	d.targetMu.Lock()
	defer d.targetMu.Unlock()
	if _, err := d.grp.Valid(); err != nil {
		return nil, err
	}
	tgt := d.grp.Selected
	g, err := proc.FindGoroutine(tgt, goid)
	if err != nil {
		return nil, err
	}
	var frames []proc.Stackframe
	if g == nil {
		frames, err = proc.ThreadStacktrace(tgt, tgt.CurrentThread(), depth)
	} else {
		frames, err = proc.GoroutineStacktrace(tgt, g, depth, proc.StacktraceOptions(opts))
	}
	if err != nil {
		return nil, err
	}
	if skip > 0 {
		if skip >= len(frames) {
			frames = nil
		} else {
			frames = frames[skip:]
		}
	}
	return d.convertFrames(tgt, frames, cfg)
}

// convertFrames converts proc frames. targetMu held.
func (d *Debugger) convertFrames(tgt *proc.Target, frames []proc.Stackframe, cfg *proc.LoadConfig) ([]api.Stackframe, error) {
	out := make([]api.Stackframe, 0, len(frames))
	for i := range frames {
		fr := &frames[i]
		af := api.Stackframe{
			Location:           api.ConvertLocation(fr.Call),
			FrameOffset:        fr.FrameOffset(),
			FramePointerOffset: fr.FramePointerOffset(),
			Defers:             convertDefers(tgt, fr.Defers),
			Bottom:             fr.Bottom,
		}
		if fr.Err != nil {
			af.Err = fr.Err.Error()
		}
		if cfg != nil && fr.Current.Fn != nil {
			s := proc.FrameToScope(tgt, tgt.Memory(), nil, 0, frames[i:]...)
			locals, err := s.LocalVariables(*cfg)
			if err != nil {
				return nil, err
			}
			args, err := s.FunctionArguments(*cfg)
			if err != nil {
				return nil, err
			}
			af.Locals = api.ConvertVars(locals)
			af.Arguments = api.ConvertVars(args)
		}
		out = append(out, af)
	}
	return out, nil
}

func convertDefers(tgt *proc.Target, defers []*proc.Defer) []api.Defer {
	out := make([]api.Defer, len(defers))
	for i, df := range defers {
		if df.Unreadable != nil {
			out[i].Unreadable = df.Unreadable.Error()
			continue
		}
		dfile, dline, dfn := df.DeferredFunc(tgt)
		entry := df.DeferPC
		if dfn != nil {
			entry = dfn.Entry
		}
		file, line, fn := tgt.BinInfo().PCToLine(df.DeferPC)
		out[i] = api.Defer{
			DeferredLoc: api.ConvertLocation(proc.Location{PC: entry, File: dfile, Line: dline, Fn: dfn}),
			DeferLoc:    api.ConvertLocation(proc.Location{PC: df.DeferPC, File: file, Line: line, Fn: fn}),
			SP:          df.SP,
		}
	}
	return out
}

// ancestors returns the stacks of the goroutines that created goid.
func (d *Debugger) ancestors(goid int64, numAncestors, depth int) ([]api.Ancestor, error) {
	d.targetMu.Lock()
	defer d.targetMu.Unlock()
	if _, err := d.grp.Valid(); err != nil {
		return nil, err
	}
	tgt := d.grp.Selected
	g, err := proc.FindGoroutine(tgt, goid)
	if err != nil {
		return nil, err
	}
	if g == nil {
		return nil, errors.New("no selected goroutine")
	}
	ancs, err := proc.Ancestors(tgt, g, numAncestors)
	if err != nil {
		return nil, err
	}
	out := make([]api.Ancestor, len(ancs))
	for i := range ancs {
		out[i].ID = ancs[i].ID
		if ancs[i].Unreadable != nil {
			out[i].Unreadable = ancs[i].Unreadable.Error()
			continue
		}
		frames, err := ancs[i].Stack(depth)
		if err == nil {
			out[i].Stack, err = d.convertFrames(tgt, frames, nil)
		}
		if err != nil {
			out[i].Unreadable = fmt.Sprintf("could not read ancestor stacktrace: %v", err)
		}
	}
	return out, nil
}

// findLocation resolves a location expression (locspec syntax) in scope.
// The second result is the expression to create a breakpoint with when
// substitute-path rules rewrote it.
func (d *Debugger) findLocation(scope api.EvalScope, locStr string, includeNonExecutableLines bool, substitutePathRules [][2]string) ([]api.Location, string, error) {
	d.targetMu.Lock()
	defer d.targetMu.Unlock()
	if _, err := d.grp.Valid(); err != nil {
		return nil, "", err
	}
	spec, err := locspec.Parse(locStr)
	if err != nil {
		return nil, "", err
	}
	locations := []api.Location{}
	subst := ""
	for it := (proc.ValidTargets{Group: d.grp}); it.Next(); {
		s, _ := proc.ConvertEvalScope(it.Target, scope.GoroutineID, scope.Frame, scope.DeferredCall)
		locs, s1, err := spec.Find(it.Target, d.cfg.ProcessArgs, s, locStr, includeNonExecutableLines, substitutePathRules)
		if s1 != "" {
			subst = s1
		}
		if err != nil && !errors.As(err, new(*locspec.ErrLocationNotFound)) {
			return nil, "", err
		}
		for i := range locs {
			if locs[i].PC == 0 {
				continue
			}
			file, line, fn := it.BinInfo().PCToLine(locs[i].PC)
			locs[i].File, locs[i].Line, locs[i].Function = file, line, api.ConvertFunction(fn)
			locs[i].PCPids = make([]int, len(locs[i].PCs))
			for j := range locs[i].PCPids {
				locs[i].PCPids[j] = it.Pid()
			}
		}
		locations = append(locations, locs...)
	}
	if len(locations) == 0 {
		return locations, subst, &locspec.ErrLocationNotFound{Spec: locStr}
	}
	return locations, subst, nil
}

// disassemble disassembles [start, end), or with end 0 the function that
// holds start, marking where the goroutine of scope is.
func (d *Debugger) disassemble(scope api.EvalScope, start, end uint64, flavour api.AssemblyFlavour) (api.AsmInstructions, error) {
	d.targetMu.Lock()
	defer d.targetMu.Unlock()
	if _, err := d.grp.Valid(); err != nil {
		return nil, err
	}
	tgt := d.grp.Selected
	bi := tgt.BinInfo()
	if end == 0 {
		fn := bi.PCToFunc(start)
		if fn == nil {
			return nil, fmt.Errorf("address %#x does not belong to any function", start)
		}
		start, end = fn.Entry, fn.End
	}
	g, err := proc.FindGoroutine(tgt, scope.GoroutineID)
	if err != nil {
		return nil, err
	}
	th := tgt.CurrentThread()
	if g != nil && g.Thread != nil {
		th = g.Thread
	}
	regs, _ := th.Registers()
	insts, err := proc.Disassemble(tgt.Memory(), regs, tgt.Breakpoints(), bi, start, end)
	if err != nil {
		return nil, err
	}
	out := make(api.AsmInstructions, len(insts))
	for i := range insts {
		out[i] = api.ConvertAsmInstruction(insts[i], insts[i].Text(proc.AssemblyFlavour(flavour), bi))
	}
	return out, nil
}

func (d *Debugger) sources(filter string) ([]string, error) {
	re, err := compileFilter(filter)
	if err != nil {
		return nil, err
	}
	d.targetMu.Lock()
	defer d.targetMu.Unlock()
	files := []string{}
	for it := (proc.ValidTargets{Group: d.grp}); it.Next(); {
		for _, f := range it.BinInfo().Sources {
			if re.MatchString(f) {
				files = append(files, f)
			}
		}
	}
	sort.Strings(files)
	return slices.Compact(files), nil
}

// functions lists the functions matching filter; with followCalls > 0,
// also the functions they call, followCalls levels deep (see
// calledFunctions for the calls known only at run time).
func (d *Debugger) functions(filter string, followCalls int) ([]string, error) {
	re, err := compileFilter(filter)
	if err != nil {
		return nil, err
	}
	d.targetMu.Lock()
	defer d.targetMu.Unlock()
	names := []string{}
	for it := (proc.ValidTargets{Group: d.grp}); it.Next(); {
		bi := it.BinInfo()
		for i := range bi.Functions {
			fn := &bi.Functions[i]
			if !re.MatchString(fn.Name) {
				continue
			}
			if followCalls <= 0 {
				names = append(names, fn.Name)
				continue
			}
			called, err := d.calledFunctions(it.Target, fn, filter, 1, followCalls)
			if err != nil {
				return nil, err
			}
			names = append(names, called...)
		}
	}
	sort.Strings(names)
	return slices.Compact(names), nil
}

func (d *Debugger) types(filter string) ([]string, error) {
	re, err := compileFilter(filter)
	if err != nil {
		return nil, err
	}
	d.targetMu.Lock()
	defer d.targetMu.Unlock()
	out := []string{}
	for it := (proc.ValidTargets{Group: d.grp}); it.Next(); {
		types, err := it.BinInfo().Types()
		if err != nil {
			return nil, err
		}
		for _, t := range types {
			if re.MatchString(t) {
				out = append(out, t)
			}
		}
	}
	sort.Strings(out)
	return slices.Compact(out), nil
}

func (d *Debugger) packagesBuildInfo(filter string, includeFiles bool) ([]api.PackageBuildInfo, error) {
	var re *regexp.Regexp
	if filter != "" {
		var err error
		if re, err = regexp.Compile(filter); err != nil {
			return nil, fmt.Errorf("invalid Filter pattern: %v", err)
		}
	}
	d.targetMu.Lock()
	defer d.targetMu.Unlock()
	pkgs := d.grp.Selected.BinInfo().ListPackagesBuildInfo(includeFiles)
	out := make([]api.PackageBuildInfo, 0, len(pkgs))
	for _, pkg := range pkgs {
		if re != nil && !re.MatchString(pkg.ImportPath) {
			continue
		}
		var files []string
		for f := range pkg.Files {
			files = append(files, f)
		}
		sort.Strings(files)
		out = append(out, api.PackageBuildInfo{ImportPath: pkg.ImportPath, DirectoryPath: pkg.DirectoryPath, Files: files})
	}
	return out, nil
}

// typeInfo describes a type: kind, size, fields, underlying type, methods.
func (d *Debugger) typeInfo(name string) (*api.TypeInfo, error) {
	d.targetMu.Lock()
	defer d.targetMu.Unlock()
	bi := d.grp.Selected.BinInfo()
	typ, err := bi.FindType(name)
	if err != nil {
		return nil, err
	}
	info := &api.TypeInfo{Kind: typ.Common().ReflectKind, Size: typ.Common().Size()}
	switch t := typ.(type) {
	case *godwarf.StructType:
		for _, f := range t.Field {
			info.Fields = append(info.Fields, api.TypeInfoField{Name: f.Name, Type: f.Type.String()})
		}
	case *godwarf.TypedefType:
		info.RealType = t.Type.String()
	}
	valueRecv := name + "."
	ptrRecv := ""
	if dot := strings.LastIndex(name, "."); dot > 0 {
		ptrRecv = name[:dot] + ".(*" + name[dot+1:] + ")."
	}
	for i := range bi.Functions {
		fn := &bi.Functions[i]
		if fn.Trampoline {
			continue
		}
		if strings.HasPrefix(fn.Name, valueRecv) || (ptrRecv != "" && strings.HasPrefix(fn.Name, ptrRecv)) {
			info.Methods = append(info.Methods, api.TypeInfoMethod{Name: fn.Name})
		}
	}
	return info, nil
}

// examineMemory reads length bytes at address; less is an error.
func (d *Debugger) examineMemory(address uint64, length int) ([]byte, error) {
	if length > rpc2.ExamineMemoryLengthLimit {
		return nil, fmt.Errorf("len must be less than or equal to %d", rpc2.ExamineMemoryLengthLimit)
	}
	if length < 0 {
		return nil, fmt.Errorf("len must not be negative (got %d)", length)
	}
	d.targetMu.Lock()
	defer d.targetMu.Unlock()
	if _, err := d.grp.Valid(); err != nil {
		return nil, err
	}
	buf := make([]byte, length)
	n, err := d.grp.Selected.Memory().ReadMemory(buf, address)
	if err != nil {
		return nil, err
	}
	if n != length {
		return nil, errors.New("the specific range has exceeded readable area")
	}
	return buf, nil
}

// dynamicLibraries lists the loaded shared libraries (the executable
// excluded) and says whether the executable was built with -trimpath.
func (d *Debugger) dynamicLibraries() ([]api.Image, bool) {
	d.targetMu.Lock()
	defer d.targetMu.Unlock()
	imgs := d.grp.Selected.BinInfo().Images
	out := []api.Image{}
	if len(imgs) == 0 {
		return out, false
	}
	for _, img := range imgs[1:] {
		ai := api.ConvertImage(img)
		ai.Trimpath = img.Trimpath
		out = append(out, ai)
	}
	return out, imgs[0].Trimpath
}

// selectedProcessPid is the selected target's pid. While a command runs
// (targetMu held, for as long as the program runs) the selection cannot
// change but at the command's end: the pid last seen is answered then,
// where dlv would wait for the program to stop.
func (d *Debugger) selectedProcessPid() int {
	if d.targetMu.TryLock() {
		if d.grp != nil && d.grp.Selected != nil {
			d.selectedPid.Store(int64(d.grp.Selected.Pid()))
		}
		d.targetMu.Unlock()
	}
	if pid := d.selectedPid.Load(); pid != 0 {
		return int(pid)
	}
	return d.pid
}

func (d *Debugger) targets() []api.Target {
	d.targetMu.Lock()
	defer d.targetMu.Unlock()
	out := []api.Target{}
	for _, t := range d.grp.Targets() {
		if _, err := t.Valid(); err == nil {
			out = append(out, *api.ConvertTarget(t, d.threadBreakpoint))
		}
	}
	return out
}

func (d *Debugger) setExecutionPoint(addr uint64) (*api.DebuggerState, error) {
	d.targetMu.Lock()
	defer d.targetMu.Unlock()
	if err := d.grp.Selected.SetNextExecutionPoint(addr); err != nil {
		return nil, err
	}
	return d.stateLocked(nil, false)
}

func (d *Debugger) cancelNext() error {
	d.targetMu.Lock()
	defer d.targetMu.Unlock()
	return d.grp.ClearSteppingBreakpoints()
}

func (d *Debugger) setDebugInfoDirs(dirs []string) {
	d.targetMu.Lock()
	defer d.targetMu.Unlock()
	for it := (proc.ValidTargets{Group: d.grp}); it.Next(); {
		it.BinInfo().DebugInfoDirectories = dirs
	}
}

func (d *Debugger) debugInfoDirs() []string {
	d.targetMu.Lock()
	defer d.targetMu.Unlock()
	return d.grp.Selected.BinInfo().DebugInfoDirectories
}

// downloadLibraryDebugInfo loads again the debug information of library
// n (an index in ListDynamicLibraries), or of every library that failed
// to load when n < 0, letting Delve's debuginfod client download it.
func (d *Debugger) downloadLibraryDebugInfo(n int, eventsFn func(*api.Event)) error {
	d.targetMu.Lock()
	defer d.targetMu.Unlock()
	if eventsFn != nil {
		d.grp.SetEventsFn(func(ev *proc.Event) { eventsFn(api.ConvertEvent(ev)) })
		defer eventsFn(&api.Event{Kind: api.EventDownloadLibraryInfoDone})
	}
	defer d.grp.SetEventsFn(nil)
	bi := d.grp.Selected.BinInfo()
	bi.ResetDownloadsContext()
	if n >= 0 {
		if n+1 >= len(bi.Images) {
			return fmt.Errorf("no library number %d (there are %d)", n, len(bi.Images)-1)
		}
		return bi.LoadImageBinaryInfoAgain(n + 1)
	}
	tried, ok := 0, 0
	for i := range bi.Images {
		if bi.Images[i].LoadError() == nil {
			continue
		}
		tried++
		if bi.LoadImageBinaryInfoAgain(i) == nil {
			ok++
		}
	}
	if tried != ok {
		return fmt.Errorf("downloaded %d/%d libraries", ok, tried)
	}
	return nil
}

// version answers GetVersion; it needs no lock.
func (d *Debugger) version() *api.GetVersionOut {
	v := version.DelveVersion
	return &api.GetVersionOut{
		DelveVersion:            fmt.Sprintf("dlv-listen %s (Delve %s.%s.%s proc)", Version, v.Major, v.Minor, v.Patch),
		APIVersion:              2,
		Backend:                 d.backendName(),
		TargetGoVersion:         d.producer,
		MinSupportedVersionOfGo: fmt.Sprintf("%d.%d.0", goversion.MinSupportedVersionOfGoMajor, goversion.MinSupportedVersionOfGoMinor),
		MaxSupportedVersionOfGo: fmt.Sprintf("%d.%d.0", goversion.MaxSupportedVersionOfGoMajor, goversion.MaxSupportedVersionOfGoMinor),
	}
}
