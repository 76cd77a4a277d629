package debugger

import "errors"

// What dlv-listen does not do, said in one sentence each.
var (
	// ErrNotRecording answers reverse execution, checkpoints and the
	// recording commands.
	ErrNotRecording = errors.New("dlv-listen does not record; reverse execution and checkpoints need a recording backend (rr)")
	// ErrRestartAttached answers a restart of a process we attached to.
	ErrRestartAttached = errors.New("dlv-listen cannot restart a process it attached to; detach and attach again")
	// ErrRestartUnsupported answers a restart of a process we launched.
	ErrRestartUnsupported = errors.New("restart is not supported by dlv-listen yet")
	// ErrEBPF answers eBPF tracepoints.
	ErrEBPF = errors.New("eBPF tracing is not supported by dlv-listen")
	// ErrNotImplementedWithMultitarget answers, as Delve's debugger does,
	// what is not done with several processes (return tracepoints, a
	// breakpoint cleared by address).
	ErrNotImplementedWithMultitarget = errors.New("not implemented for multiple targets")
)
