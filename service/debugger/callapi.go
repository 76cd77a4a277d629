package debugger

import (
	"fmt"

	"github.com/go-delve/delve/pkg/proc"
	"github.com/go-delve/delve/service/api"
	"github.com/go-delve/delve/service/rpc2"
)

// CallAPI calls a method of Delve's JSON-RPC 2 API by name, with its rpc2
// argument and reply types (args: *rpc2.XxxIn or rpc2.XxxIn, reply:
// *rpc2.XxxOut; "Command" takes an api.DebuggerCommand and replies with an
// rpc2.CommandOut). Delve's Starlark bindings (pkg/terminal/starbind) call
// it; every method they use is answered.
func (c *Client) CallAPI(method string, args, reply any) error {
	h, ok := apiMethods[method]
	if !ok {
		return fmt.Errorf("%s is not supported by dlv-listen", method)
	}
	return h(c, args, reply)
}

type apiMethod func(c *Client, args, reply any) error

// method adapts fn to CallAPI's untyped arguments.
func method[I, O any](fn func(c *Client, in I, out *O) error) apiMethod {
	return func(c *Client, args, reply any) error {
		var in I
		switch a := args.(type) {
		case *I:
			if a != nil {
				in = *a
			}
		case I:
			in = a
		case nil:
		default:
			return fmt.Errorf("CallAPI: argument of type %T, want *%T", args, in)
		}
		out, ok := reply.(*O)
		if !ok || out == nil {
			return fmt.Errorf("CallAPI: reply of type %T, want a non-nil *%T", reply, *new(O))
		}
		return fn(c, in, out)
	}
}

// unsupported answers a method with err, whatever its arguments.
func unsupported(err error) apiMethod {
	return func(*Client, any, any) error { return err }
}

var apiMethods = map[string]apiMethod{
	"AmendBreakpoint": method(func(c *Client, in rpc2.AmendBreakpointIn, _ *rpc2.AmendBreakpointOut) error {
		return c.d.amendBreakpoint(&in.Breakpoint)
	}),
	"Ancestors": method(func(c *Client, in rpc2.AncestorsIn, out *rpc2.AncestorsOut) (err error) {
		out.Ancestors, err = c.d.ancestors(in.GoroutineID, in.NumAncestors, in.Depth)
		return err
	}),
	"AttachedToExistingProcess": method(func(c *Client, _ rpc2.AttachedToExistingProcessIn, out *rpc2.AttachedToExistingProcessOut) error {
		out.Answer = c.AttachedToExistingProcess()
		return nil
	}),
	"BuildID": method(func(c *Client, _ rpc2.BuildIDIn, out *rpc2.BuildIDOut) error {
		out.BuildID = c.BuildID()
		return nil
	}),
	"CancelDownloads": method(func(c *Client, _ rpc2.CancelDownloadsIn, _ *rpc2.CancelDownloadsOut) error {
		return c.CancelDownloads()
	}),
	"CancelNext": method(func(c *Client, _ rpc2.CancelNextIn, _ *rpc2.CancelNextOut) error {
		return c.d.cancelNext()
	}),
	"Checkpoint":      unsupported(ErrNotRecording),
	"ClearCheckpoint": unsupported(ErrNotRecording),
	"ListCheckpoints": unsupported(ErrNotRecording),
	"StopRecording":   unsupported(ErrNotRecording),
	"ClearBreakpoint": method(func(c *Client, in rpc2.ClearBreakpointIn, out *rpc2.ClearBreakpointOut) (err error) {
		out.Breakpoint, err = c.d.clearBreakpoint(in.Id, in.Name, 0)
		return err
	}),
	"Command": method(func(c *Client, in api.DebuggerCommand, out *rpc2.CommandOut) error {
		var events func(*api.Event)
		if in.WithEvents {
			events = c.events()
		}
		st, err := c.d.command(&in, events, nil, stateFull)
		if err != nil {
			return clientErr(err)
		}
		out.State = *st
		return nil
	}),
	"CreateBreakpoint": method(func(c *Client, in rpc2.CreateBreakpointIn, out *rpc2.CreateBreakpointOut) error {
		bp, err := c.d.createBreakpoint(&in.Breakpoint, in.LocExpr, in.SubstitutePathRules, in.Suspended)
		if err != nil {
			return err
		}
		out.Breakpoint = *bp
		return nil
	}),
	"CreateEBPFTracepoint": unsupported(ErrEBPF),
	"CreateWatchpoint": method(func(c *Client, in rpc2.CreateWatchpointIn, out *rpc2.CreateWatchpointOut) (err error) {
		out.Breakpoint, err = c.d.createWatchpoint(in.Scope, in.Expr, in.Type)
		return err
	}),
	"DebugInfoDirectories": method(func(c *Client, in rpc2.DebugInfoDirectoriesIn, out *rpc2.DebugInfoDirectoriesOut) error {
		if in.Set {
			c.d.setDebugInfoDirs(in.List)
		}
		out.List = c.d.debugInfoDirs()
		return nil
	}),
	"Detach": method(func(c *Client, in rpc2.DetachIn, _ *rpc2.DetachOut) error {
		return c.d.detach(in.Kill)
	}),
	"Disassemble": method(func(c *Client, in rpc2.DisassembleIn, out *rpc2.DisassembleOut) (err error) {
		out.Disassemble, err = c.d.disassemble(in.Scope, in.StartPC, in.EndPC, in.Flavour)
		return err
	}),
	"DownloadLibraryDebugInfo": method(func(c *Client, in rpc2.DownloadLibraryDebugInfoIn, _ *rpc2.DownloadLibraryDebugInfoOut) error {
		var events func(*api.Event)
		if in.WithEvents {
			events = c.events()
		}
		return c.d.downloadLibraryDebugInfo(in.N, events)
	}),
	"DumpCancel": method(func(c *Client, _ rpc2.DumpCancelIn, _ *rpc2.DumpCancelOut) error {
		return c.CoreDumpCancel()
	}),
	"DumpStart": method(func(c *Client, in rpc2.DumpStartIn, out *rpc2.DumpStartOut) (err error) {
		out.State, err = c.CoreDumpStart(in.Destination)
		return err
	}),
	"DumpWait": method(func(c *Client, in rpc2.DumpWaitIn, out *rpc2.DumpWaitOut) error {
		out.State = c.CoreDumpWait(in.Wait)
		return nil
	}),
	"Eval": method(func(c *Client, in rpc2.EvalIn, out *rpc2.EvalOut) (err error) {
		cfg := proc.LoadFullValue()
		if in.Cfg != nil {
			cfg = *api.LoadConfigToProc(in.Cfg)
		}
		out.Variable, err = c.d.evalVariable(in.Scope, in.Expr, cfg)
		return err
	}),
	"ExamineMemory": method(func(c *Client, in rpc2.ExamineMemoryIn, out *rpc2.ExaminedMemoryOut) (err error) {
		out.Mem, out.IsLittleEndian, err = c.ExamineMemory(in.Address, in.Length)
		return err
	}),
	"FindLocation": method(func(c *Client, in rpc2.FindLocationIn, out *rpc2.FindLocationOut) (err error) {
		out.Locations, out.SubstituteLocExpr, err = c.d.findLocation(in.Scope, in.Loc, in.IncludeNonExecutableLines, in.SubstitutePathRules)
		return err
	}),
	"FollowExec": method(func(c *Client, in rpc2.FollowExecIn, _ *rpc2.FollowExecOut) error {
		return c.FollowExec(in.Enable, in.Regex)
	}),
	"FollowExecEnabled": method(func(c *Client, _ rpc2.FollowExecEnabledIn, out *rpc2.FollowExecEnabledOut) error {
		out.Enabled = c.FollowExecEnabled()
		return nil
	}),
	"FunctionReturnLocations": method(func(c *Client, in rpc2.FunctionReturnLocationsIn, out *rpc2.FunctionReturnLocationsOut) (err error) {
		out.Addrs, err = c.d.functionReturnLocations(in.FnName)
		return err
	}),
	"GetBreakpoint": method(func(c *Client, in rpc2.GetBreakpointIn, out *rpc2.GetBreakpointOut) error {
		bp, err := c.d.findBreakpoint(in.Id, in.Name)
		if err != nil {
			return err
		}
		out.Breakpoint = *bp
		return nil
	}),
	"GetBufferedTracepoints": method(func(*Client, rpc2.GetBufferedTracepointsIn, *rpc2.GetBufferedTracepointsOut) error {
		// Only eBPF tracepoints are buffered, and there are none.
		return nil
	}),
	"GetThread": method(func(c *Client, in rpc2.GetThreadIn, out *rpc2.GetThreadOut) (err error) {
		out.Thread, err = c.d.thread(in.Id)
		return err
	}),
	"GetVersion": method(func(c *Client, _ api.GetVersionIn, out *api.GetVersionOut) error {
		*out = *c.d.version()
		return nil
	}),
	"GuessSubstitutePath": method(func(c *Client, _ rpc2.GuessSubstitutePathIn, out *rpc2.GuessSubstitutePathOut) (err error) {
		out.List, err = c.GuessSubstitutePath()
		return err
	}),
	"IsMulticlient": method(func(c *Client, _ rpc2.IsMulticlientIn, out *rpc2.IsMulticlientOut) error {
		out.IsMulticlient = c.IsMulticlient()
		return nil
	}),
	"LastModified": method(func(c *Client, _ rpc2.LastModifiedIn, out *rpc2.LastModifiedOut) error {
		out.Time = c.LastModified()
		return nil
	}),
	"ListBreakpoints": method(func(c *Client, in rpc2.ListBreakpointsIn, out *rpc2.ListBreakpointsOut) error {
		out.Breakpoints = c.d.listBreakpoints(in.All)
		return nil
	}),
	"ListDynamicLibraries": method(func(c *Client, _ rpc2.ListDynamicLibrariesIn, out *rpc2.ListDynamicLibrariesOut) error {
		out.List, out.ExecutableTrimpath = c.d.dynamicLibraries()
		return nil
	}),
	"ListFunctionArgs": method(func(c *Client, in rpc2.ListFunctionArgsIn, out *rpc2.ListFunctionArgsOut) (err error) {
		out.Args, err = c.d.functionArgs(in.Scope, *api.LoadConfigToProc(&in.Cfg))
		return err
	}),
	"ListFunctions": method(func(c *Client, in rpc2.ListFunctionsIn, out *rpc2.ListFunctionsOut) (err error) {
		out.Funcs, err = c.d.functions(in.Filter, in.FollowCalls)
		return err
	}),
	"ListGoroutines": method(func(c *Client, in rpc2.ListGoroutinesIn, out *rpc2.ListGoroutinesOut) (err error) {
		out.Goroutines, out.Groups, out.Nextg, out.TooManyGroups, err = c.d.goroutines(in.Start, in.Count, in.Filters, &in.GoroutineGroupingOptions, in.EvalScope)
		return err
	}),
	"ListLocalVars": method(func(c *Client, in rpc2.ListLocalVarsIn, out *rpc2.ListLocalVarsOut) (err error) {
		out.Variables, err = c.d.localVariables(in.Scope, *api.LoadConfigToProc(&in.Cfg))
		return err
	}),
	"ListPackageVars": method(func(c *Client, in rpc2.ListPackageVarsIn, out *rpc2.ListPackageVarsOut) (err error) {
		out.Variables, err = c.d.packageVariables(in.Filter, *api.LoadConfigToProc(&in.Cfg))
		return err
	}),
	"ListPackagesBuildInfo": method(func(c *Client, in rpc2.ListPackagesBuildInfoIn, out *rpc2.ListPackagesBuildInfoOut) (err error) {
		out.List, err = c.d.packagesBuildInfo(in.Filter, in.IncludeFiles)
		return err
	}),
	"ListRegisters": method(func(c *Client, in rpc2.ListRegistersIn, out *rpc2.ListRegistersOut) (err error) {
		out.Regs, err = c.d.registers(in.ThreadID, in.Scope, in.IncludeFp)
		if err == nil {
			out.Registers = out.Regs.String()
		}
		return err
	}),
	"ListSources": method(func(c *Client, in rpc2.ListSourcesIn, out *rpc2.ListSourcesOut) (err error) {
		out.Sources, err = c.d.sources(in.Filter)
		return err
	}),
	"ListTargets": method(func(c *Client, _ rpc2.ListTargetsIn, out *rpc2.ListTargetsOut) error {
		out.Targets = c.d.targets()
		return nil
	}),
	"ListThreads": method(func(c *Client, _ rpc2.ListThreadsIn, out *rpc2.ListThreadsOut) (err error) {
		out.Threads, err = c.d.threads()
		return err
	}),
	"ListTypes": method(func(c *Client, in rpc2.ListTypesIn, out *rpc2.ListTypesOut) (err error) {
		out.Types, err = c.d.types(in.Filter)
		return err
	}),
	"ProcessPid": method(func(c *Client, _ rpc2.ProcessPidIn, out *rpc2.ProcessPidOut) error {
		out.Pid = c.ProcessPid()
		return nil
	}),
	"Recorded": method(func(c *Client, _ rpc2.RecordedIn, out *rpc2.RecordedOut) error {
		out.Recorded, out.TraceDirectory = c.Recorded(), ""
		return nil
	}),
	"Restart": method(func(c *Client, in rpc2.RestartIn, _ *rpc2.RestartOut) error {
		_, err := c.RestartFrom(in.Rerecord, in.Position, in.ResetArgs, in.NewArgs, in.NewRedirects, in.Rebuild)
		return err
	}),
	"Set": method(func(c *Client, in rpc2.SetIn, _ *rpc2.SetOut) error {
		return c.d.setVariable(in.Scope, in.Symbol, in.Value)
	}),
	"SetExecutionPoint": method(func(c *Client, in rpc2.SetExecutionPointIn, out *rpc2.SetExecutionPointOut) error {
		st, err := c.d.setExecutionPoint(in.Addr)
		if err != nil {
			return err
		}
		out.State = *st
		return nil
	}),
	"Stacktrace": method(func(c *Client, in rpc2.StacktraceIn, out *rpc2.StacktraceOut) (err error) {
		cfg := api.LoadConfigToProc(in.Cfg)
		if cfg == nil && in.Full {
			full := proc.LoadFullValue()
			cfg = &full
		}
		if in.Defers {
			in.Opts |= api.StacktraceReadDefers
		}
		out.Locations, err = c.d.stacktrace(in.Id, in.Depth, in.Skip, in.Opts, cfg)
		return err
	}),
	"State": method(func(c *Client, in rpc2.StateIn, out *rpc2.StateOut) (err error) {
		out.State, err = c.d.state(in.NonBlocking)
		return clientErr(err)
	}),
	"ToggleBreakpoint": method(func(c *Client, in rpc2.ToggleBreakpointIn, out *rpc2.ToggleBreakpointOut) (err error) {
		out.Breakpoint, err = c.d.toggleBreakpoint(in.Id, in.Name)
		return err
	}),
	"TypeInfo": method(func(c *Client, in rpc2.TypeInfoIn, out *rpc2.TypeInfoOut) (err error) {
		out.TypeInfo, err = c.d.typeInfo(in.Name)
		return err
	}),
}
