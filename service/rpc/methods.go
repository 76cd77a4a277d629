package rpc

// The methods of Delve's rpc2 API that the session answers as they are:
// each forwards to the client's CallAPI.

import (
	"github.com/go-delve/delve/service/rpc2"
)

func (r *rpcServer) ProcessPid(in rpc2.ProcessPidIn, out *rpc2.ProcessPidOut) error {
	return r.call("ProcessPid", &in, out)
}

func (r *rpcServer) LastModified(in rpc2.LastModifiedIn, out *rpc2.LastModifiedOut) error {
	return r.call("LastModified", &in, out)
}

func (r *rpcServer) BuildID(in rpc2.BuildIDIn, out *rpc2.BuildIDOut) error {
	return r.call("BuildID", &in, out)
}

func (r *rpcServer) Detach(in rpc2.DetachIn, out *rpc2.DetachOut) error {
	return r.call("Detach", &in, out)
}

func (r *rpcServer) Restart(in rpc2.RestartIn, out *rpc2.RestartOut) error {
	return r.call("Restart", &in, out)
}

func (r *rpcServer) Recorded(in rpc2.RecordedIn, out *rpc2.RecordedOut) error {
	return r.call("Recorded", &in, out)
}

func (r *rpcServer) Checkpoint(in rpc2.CheckpointIn, out *rpc2.CheckpointOut) error {
	return r.call("Checkpoint", &in, out)
}

func (r *rpcServer) ListCheckpoints(in rpc2.ListCheckpointsIn, out *rpc2.ListCheckpointsOut) error {
	return r.call("ListCheckpoints", &in, out)
}

func (r *rpcServer) ClearCheckpoint(in rpc2.ClearCheckpointIn, out *rpc2.ClearCheckpointOut) error {
	return r.call("ClearCheckpoint", &in, out)
}

func (r *rpcServer) StopRecording(in rpc2.StopRecordingIn, out *rpc2.StopRecordingOut) error {
	return r.call("StopRecording", &in, out)
}

func (r *rpcServer) AttachedToExistingProcess(in rpc2.AttachedToExistingProcessIn, out *rpc2.AttachedToExistingProcessOut) error {
	return r.call("AttachedToExistingProcess", &in, out)
}

// Breakpoints.

func (r *rpcServer) CreateBreakpoint(in rpc2.CreateBreakpointIn, out *rpc2.CreateBreakpointOut) error {
	return r.call("CreateBreakpoint", &in, out)
}

func (r *rpcServer) CreateWatchpoint(in rpc2.CreateWatchpointIn, out *rpc2.CreateWatchpointOut) error {
	return r.call("CreateWatchpoint", &in, out)
}

func (r *rpcServer) CreateEBPFTracepoint(in rpc2.CreateEBPFTracepointIn, out *rpc2.CreateEBPFTracepointOut) error {
	return r.call("CreateEBPFTracepoint", &in, out)
}

func (r *rpcServer) GetBufferedTracepoints(in rpc2.GetBufferedTracepointsIn, out *rpc2.GetBufferedTracepointsOut) error {
	return r.call("GetBufferedTracepoints", &in, out)
}

func (r *rpcServer) ClearBreakpoint(in rpc2.ClearBreakpointIn, out *rpc2.ClearBreakpointOut) error {
	return r.call("ClearBreakpoint", &in, out)
}

func (r *rpcServer) ToggleBreakpoint(in rpc2.ToggleBreakpointIn, out *rpc2.ToggleBreakpointOut) error {
	return r.call("ToggleBreakpoint", &in, out)
}

func (r *rpcServer) AmendBreakpoint(in rpc2.AmendBreakpointIn, out *rpc2.AmendBreakpointOut) error {
	return r.call("AmendBreakpoint", &in, out)
}

func (r *rpcServer) GetBreakpoint(in rpc2.GetBreakpointIn, out *rpc2.GetBreakpointOut) error {
	return r.call("GetBreakpoint", &in, out)
}

func (r *rpcServer) ListBreakpoints(in rpc2.ListBreakpointsIn, out *rpc2.ListBreakpointsOut) error {
	return r.call("ListBreakpoints", &in, out)
}

func (r *rpcServer) CancelNext(in rpc2.CancelNextIn, out *rpc2.CancelNextOut) error {
	return r.call("CancelNext", &in, out)
}

func (r *rpcServer) FunctionReturnLocations(in rpc2.FunctionReturnLocationsIn, out *rpc2.FunctionReturnLocationsOut) error {
	return r.call("FunctionReturnLocations", &in, out)
}

func (r *rpcServer) SetExecutionPoint(in rpc2.SetExecutionPointIn, out *rpc2.SetExecutionPointOut) error {
	return r.call("SetExecutionPoint", &in, out)
}

// Threads, goroutines, stacks.

func (r *rpcServer) ListThreads(in rpc2.ListThreadsIn, out *rpc2.ListThreadsOut) error {
	return r.call("ListThreads", &in, out)
}

func (r *rpcServer) GetThread(in rpc2.GetThreadIn, out *rpc2.GetThreadOut) error {
	return r.call("GetThread", &in, out)
}

func (r *rpcServer) ListGoroutines(in rpc2.ListGoroutinesIn, out *rpc2.ListGoroutinesOut) error {
	return r.call("ListGoroutines", &in, out)
}

func (r *rpcServer) Stacktrace(in rpc2.StacktraceIn, out *rpc2.StacktraceOut) error {
	return r.call("Stacktrace", &in, out)
}

func (r *rpcServer) Ancestors(in rpc2.AncestorsIn, out *rpc2.AncestorsOut) error {
	return r.call("Ancestors", &in, out)
}

func (r *rpcServer) ListTargets(in rpc2.ListTargetsIn, out *rpc2.ListTargetsOut) error {
	return r.call("ListTargets", &in, out)
}

// Variables, registers, memory.

func (r *rpcServer) Eval(in rpc2.EvalIn, out *rpc2.EvalOut) error {
	return r.call("Eval", &in, out)
}

func (r *rpcServer) Set(in rpc2.SetIn, out *rpc2.SetOut) error {
	return r.call("Set", &in, out)
}

func (r *rpcServer) ListLocalVars(in rpc2.ListLocalVarsIn, out *rpc2.ListLocalVarsOut) error {
	return r.call("ListLocalVars", &in, out)
}

func (r *rpcServer) ListFunctionArgs(in rpc2.ListFunctionArgsIn, out *rpc2.ListFunctionArgsOut) error {
	return r.call("ListFunctionArgs", &in, out)
}

func (r *rpcServer) ListPackageVars(in rpc2.ListPackageVarsIn, out *rpc2.ListPackageVarsOut) error {
	return r.call("ListPackageVars", &in, out)
}

func (r *rpcServer) ListRegisters(in rpc2.ListRegistersIn, out *rpc2.ListRegistersOut) error {
	return r.call("ListRegisters", &in, out)
}

func (r *rpcServer) ExamineMemory(in rpc2.ExamineMemoryIn, out *rpc2.ExaminedMemoryOut) error {
	return r.call("ExamineMemory", &in, out)
}

func (r *rpcServer) TypeInfo(in rpc2.TypeInfoIn, out *rpc2.TypeInfoOut) error {
	return r.call("TypeInfo", &in, out)
}

// Symbols and locations.

func (r *rpcServer) FindLocation(in rpc2.FindLocationIn, out *rpc2.FindLocationOut) error {
	return r.call("FindLocation", &in, out)
}

func (r *rpcServer) Disassemble(in rpc2.DisassembleIn, out *rpc2.DisassembleOut) error {
	return r.call("Disassemble", &in, out)
}

func (r *rpcServer) ListSources(in rpc2.ListSourcesIn, out *rpc2.ListSourcesOut) error {
	return r.call("ListSources", &in, out)
}

func (r *rpcServer) ListFunctions(in rpc2.ListFunctionsIn, out *rpc2.ListFunctionsOut) error {
	return r.call("ListFunctions", &in, out)
}

func (r *rpcServer) ListTypes(in rpc2.ListTypesIn, out *rpc2.ListTypesOut) error {
	return r.call("ListTypes", &in, out)
}

func (r *rpcServer) ListPackagesBuildInfo(in rpc2.ListPackagesBuildInfoIn, out *rpc2.ListPackagesBuildInfoOut) error {
	return r.call("ListPackagesBuildInfo", &in, out)
}

func (r *rpcServer) ListDynamicLibraries(in rpc2.ListDynamicLibrariesIn, out *rpc2.ListDynamicLibrariesOut) error {
	return r.call("ListDynamicLibraries", &in, out)
}

func (r *rpcServer) GuessSubstitutePath(in rpc2.GuessSubstitutePathIn, out *rpc2.GuessSubstitutePathOut) error {
	return r.call("GuessSubstitutePath", &in, out)
}

// Debug information, core dumps, children.

func (r *rpcServer) DebugInfoDirectories(in rpc2.DebugInfoDirectoriesIn, out *rpc2.DebugInfoDirectoriesOut) error {
	return r.call("DebugInfoDirectories", &in, out)
}

func (r *rpcServer) CancelDownloads(in rpc2.CancelDownloadsIn, out *rpc2.CancelDownloadsOut) error {
	return r.call("CancelDownloads", &in, out)
}

func (r *rpcServer) DownloadLibraryDebugInfo(in rpc2.DownloadLibraryDebugInfoIn, out *rpc2.DownloadLibraryDebugInfoOut) error {
	return r.call("DownloadLibraryDebugInfo", &in, out)
}

func (r *rpcServer) DumpStart(in rpc2.DumpStartIn, out *rpc2.DumpStartOut) error {
	return r.call("DumpStart", &in, out)
}

func (r *rpcServer) DumpWait(in rpc2.DumpWaitIn, out *rpc2.DumpWaitOut) error {
	return r.call("DumpWait", &in, out)
}

func (r *rpcServer) DumpCancel(in rpc2.DumpCancelIn, out *rpc2.DumpCancelOut) error {
	return r.call("DumpCancel", &in, out)
}

func (r *rpcServer) FollowExec(in rpc2.FollowExecIn, out *rpc2.FollowExecOut) error {
	return r.call("FollowExec", &in, out)
}

func (r *rpcServer) FollowExecEnabled(in rpc2.FollowExecEnabledIn, out *rpc2.FollowExecEnabledOut) error {
	return r.call("FollowExecEnabled", &in, out)
}
