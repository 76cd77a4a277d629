package debugger

// The call graph under a traced function (dlv trace --follow-calls): the
// calls whose destination the code says are followed at once; a call
// through a function value, a closure or a deferred function is followed
// when it happens, by an internal breakpoint on the call instruction that
// adds the tracepoints of the function it is about to call, as Delve's
// debugger does.

import (
	"errors"
	"fmt"
	"strings"

	"github.com/go-delve/delve/pkg/proc"
)

// dynamicTraceStack is how deep the tracepoints added at run time read the
// stack (Delve's value): the depth of a call is told from it.
const dynamicTraceStack = 20

// calledFunctions walks the call graph from fn, at level (the root of the
// trace is level 1), down to level depth, skipping the runtime as Delve's
// trace does, and returns the functions met. Each call instruction whose
// destination is known only at run time gets a breakpoint that extends the
// trace when it is executed (watchDynamicCall); rootName is the trace's
// expression, matched against the stack to tell the level then. targetMu
// held.
func (d *Debugger) calledFunctions(tgt *proc.Target, fn *proc.Function, rootName string, level, depth int) ([]string, error) {
	type node struct {
		fn    *proc.Function
		level int
	}
	seen := map[string]bool{fn.Name: true}
	queue := []node{{fn, level}}
	var names []string
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		if n.level > depth {
			continue
		}
		names = append(names, n.fn.Name)
		if n.level >= depth {
			continue
		}
		text, err := proc.Disassemble(tgt.Memory(), nil, tgt.Breakpoints(), tgt.BinInfo(), n.fn.Entry, n.fn.End)
		if err != nil {
			return nil, fmt.Errorf("disassemble %s: %w", n.fn.Name, err)
		}
		for _, inst := range text {
			if !inst.IsCall() {
				continue
			}
			if inst.DestLoc == nil {
				if err := d.watchDynamicCall(tgt, inst.Loc.PC, rootName, depth); err != nil {
					return nil, err
				}
				continue
			}
			callee := inst.DestLoc.Fn
			if callee == nil {
				continue
			}
			if (strings.HasPrefix(callee.Name, "runtime.") || strings.HasPrefix(callee.Name, "runtime/internal")) &&
				callee.Name != "runtime.deferreturn" && callee.Name != "runtime.gorecover" && callee.Name != "runtime.gopanic" {
				continue
			}
			if !seen[callee.Name] {
				seen[callee.Name] = true
				queue = append(queue, node{callee, n.level + 1})
			}
		}
	}
	return names, nil
}

// watchDynamicCall puts an internal breakpoint on the call instruction at
// pc. When a thread gets there under the trace's root, less than depth
// levels down, the function it calls is traced from then on, with the
// functions it calls in turn. The breakpoint never stops the process.
// targetMu held (here, and in the callback: it runs inside the continue).
func (d *Debugger) watchDynamicCall(tgt *proc.Target, pc uint64, rootName string, depth int) error {
	if d.dynamicCalls == nil {
		d.dynamicCalls = map[uint64]bool{}
	}
	if d.dynamicCalls[pc] {
		return nil
	}
	bp, err := tgt.SetBreakpoint(0, pc, proc.NextBreakpoint, nil)
	if err != nil {
		return fmt.Errorf("watch the call at %#x: %w", pc, err)
	}
	d.dynamicCalls[pc] = true
	callback := func(th proc.Thread, tgt *proc.Target) (bool, error) {
		level := traceLevel(tgt, th, rootName, depth)
		if level == 0 || level+1 > depth {
			return false, nil
		}
		callee, err := callDestination(tgt, th, pc)
		if err != nil {
			return false, err
		}
		names, err := d.calledFunctions(tgt, callee, rootName, level+1, depth)
		if err != nil {
			return false, err
		}
		for _, name := range names {
			if err := d.addFunctionTracepoints(tgt, name, rootName, depth); err != nil {
				return false, err
			}
		}
		return false, nil
	}
	for _, blet := range bp.Breaklets {
		if blet.Kind == proc.NextBreakpoint {
			blet.SetCallback(callback)
		}
	}
	return nil
}

// traceLevel is the level of th's current function under the outermost
// frame of rootName (1: the root itself), 0 if rootName is not on its
// stack.
func traceLevel(tgt *proc.Target, th proc.Thread, rootName string, depth int) int {
	frames, err := proc.ThreadStacktrace(tgt, th, depth+2)
	if err != nil {
		return 0
	}
	for i := len(frames) - 1; i >= 0; i-- {
		if frames[i].Call.Fn != nil && frames[i].Call.Fn.Name == rootName {
			return i + 1
		}
	}
	return 0
}

// callDestination is the function the call instruction at pc, where th
// stands, is about to call.
func callDestination(tgt *proc.Target, th proc.Thread, pc uint64) (*proc.Function, error) {
	regs, err := th.Registers()
	if err != nil {
		return nil, err
	}
	bi := tgt.BinInfo()
	text, err := proc.Disassemble(tgt.Memory(), regs, tgt.Breakpoints(), bi, pc, pc+uint64(bi.Arch.MaxInstructionLength()))
	if err != nil {
		return nil, fmt.Errorf("disassemble the call at %#x: %w", pc, err)
	}
	if len(text) == 0 || text[0].DestLoc == nil {
		return nil, fmt.Errorf("the call at %#x: destination unknown", pc)
	}
	fn := bi.PCToFunc(text[0].DestLoc.PC)
	if fn == nil {
		return nil, fmt.Errorf("the call at %#x: no function at %#x", pc, text[0].DestLoc.PC)
	}
	return fn, nil
}

// addFunctionTracepoints traces fn, found at run time under the trace of
// rootName: a tracepoint at its entry and one at each return, as Delve's
// debugger adds them (a stack of dynamicTraceStack frames, no arguments
// loaded). A function already traced is left as it is. targetMu held.
func (d *Debugger) addFunctionTracepoints(tgt *proc.Target, fn, rootName string, depth int) error {
	add := func(lbp *proc.LogicalBreakpoint) error {
		d.bpIDCounter++
		lbp.LogicalID = d.bpIDCounter
		lbp.HitCount = make(map[int64]uint64)
		lbp.RootFuncName, lbp.Stacktrace, lbp.TraceFollowCalls = rootName, dynamicTraceStack, depth
		d.grp.LogicalBreakpoints[lbp.LogicalID] = lbp
		if err := d.grp.SetBreakpointEnabled(lbp, true); err != nil {
			delete(d.grp.LogicalBreakpoints, lbp.LogicalID)
			var exists proc.BreakpointExistsError
			if errors.As(err, &exists) {
				return nil
			}
			return fmt.Errorf("trace %s: %w", fn, err)
		}
		return nil
	}
	if err := add(&proc.LogicalBreakpoint{Set: proc.SetBreakpoint{FunctionName: fn}, Tracepoint: true}); err != nil {
		return err
	}
	addrs, _ := d.functionReturnLocationsLocked(fn)
	for _, addr := range addrs {
		if err := add(&proc.LogicalBreakpoint{Set: proc.SetBreakpoint{PidAddrs: []proc.PidAddr{{Pid: tgt.Pid(), Addr: addr}}}, TraceReturn: true}); err != nil {
			return err
		}
	}
	return nil
}
