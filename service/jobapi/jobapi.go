// Package jobapi holds dlv-listen's job-control types: what the session
// (service/debugger) reports about the debuggee's job-control state, and
// the request and response types of the job-control methods that the
// headless JSON-RPC server (service/rpc) adds to Delve's API.
//
// The wire surface (service "RPCServer", Delve's JSON-RPC 2 conventions):
//
//	RPCServer.JobState   JobStateIn  -> JobStateOut   the job state now
//	RPCServer.Signal     SignalIn    -> SignalOut     kill(2) the debuggee
//	RPCServer.JobEvents  JobEventsIn -> JobEventsOut  job-control changes after a sequence number (long poll)
//
// State and Command answers carry the job state in an extra JobControl
// field (a JobState), which Delve's client ignores: decode them into
// StateOut and CommandOut below to read it. While a Command runs with
// WithEvents, GetEvents also returns each job-control change as an event
// of Kind EventJobControl with a JobControl field (Event below): Delve's
// terminal ignores kinds it does not know.
//
// It depends only on Delve's service/api, so any Go client can import it
// next to Delve's rpc2.
package jobapi

import "github.com/go-delve/delve/service/api"

// Job states.
const (
	StateRunning   = "running"    // not in a job-control stop
	StateStopped   = "stopped"    // in a job-control stop (SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU)
	StateUnknown   = "unknown"    // not known yet
	StateExited    = "exited"     // the process has exited
	StateDetached  = "detached"   // the process is no longer debugged (Signal then refuses)
	StateNoProcess = "no process" // the session is on a core file: there is no process
)

// Event kinds.
const (
	EventStopped   = "stopped"   // a job-control stop began
	EventContinued = "continued" // a job-control stop ended (SIGCONT)
	// EventLost: the reader fell behind and changes were dropped before
	// it read them (the session keeps the last ones only); the event's
	// Lost says how many, its Seq is the last one lost. The state after
	// them is JobState's.
	EventLost = "lost"
)

// EventJobControl is the api.EventKind of a job-control event in
// GetEvents answers. Delve's kinds are 0 to 5.
const EventJobControl = 64

// Job states besides StateRunning, StateStopped and StateExited.
const (
	JobMixed = "mixed" // some processes of the job are stopped, others run
)

// JobState is the debuggee's job-control state: the first process's (the
// one attached or launched), and its whole job's.
type JobState struct {
	Pid    int
	State  string // one of the State constants
	Signal string `json:",omitempty"` // the stopping signal, e.g. "SIGTSTP", when State is "stopped" (or was, for "detached")
	// Text is one line, e.g. "process 4242 is stopped by SIGTSTP (job
	// control)"; while the session has more than one process, a line per
	// process and one for the job.
	Text string
	// Job is the process group (shell job) of the first process, made of
	// the session's processes in it; absent on a core file.
	Job *Job `json:",omitempty"`
}

// Job is the job-control state of a process group.
type Job struct {
	Pgid int
	// State is StateRunning (no process stopped), StateStopped (every
	// process stopped: what a shell calls Stopped), JobMixed or
	// StateExited (none left).
	State string
	// Processes are the session's processes in the job that have not
	// exited, in the order they joined the session.
	Processes []ProcessState
}

// ProcessState is one process's job-control state.
type ProcessState struct {
	Pid    int
	State  string // one of the State constants
	Signal string `json:",omitempty"` // the stopping signal, when State is "stopped"
	Text   string // e.g. "process 4242 is stopped by SIGTSTP (job control)"
}

// JobEvent is one change of the job-control state of a process of the
// session.
type JobEvent struct {
	Seq    uint64 // 1, 2, ... in the order of the changes
	Pid    int    // the process that changed
	Kind   string // EventStopped, EventContinued or EventLost
	Signal string `json:",omitempty"` // the stopping signal of a stop
	// Lost is, for EventLost, the number of changes dropped: those
	// numbered Seq-Lost+1 to Seq.
	Lost uint64 `json:",omitempty"`
	Text string // one line, e.g. "process 4242 stopped by SIGTSTP (job control); it stays stopped until SIGCONT"
}

// JobStateIn is the argument of RPCServer.JobState.
type JobStateIn struct{}

// JobStateOut is the answer of RPCServer.JobState.
type JobStateOut struct {
	JobState JobState
}

// SignalIn is the argument of RPCServer.Signal: a name ("SIGCONT",
// "CONT", "cont") or a number.
type SignalIn struct {
	Signal string
}

// SignalOut is the answer of RPCServer.Signal.
type SignalOut struct {
	Text     string // e.g. "sent SIGCONT to process 4242"
	JobState JobState
}

// JobEventsIn is the argument of RPCServer.JobEvents: the events with a
// sequence number above After. With Wait the call blocks until there is
// one (or the connection closes); without, it answers at once.
type JobEventsIn struct {
	After uint64
	Wait  bool
}

// JobEventsOut is the answer of RPCServer.JobEvents. Next is the After of
// the next call. The session keeps the last 1024 changes: when some after
// After are no longer kept, Events starts with one of Kind EventLost that
// names them.
type JobEventsOut struct {
	Events []JobEvent
	Next   uint64
}

// DebuggerState is Delve's api.DebuggerState with the job state as an
// extra field.
type DebuggerState struct {
	*api.DebuggerState
	JobControl *JobState `json:",omitempty"`
}

// StateOut is the answer of RPCServer.State: rpc2.StateOut with the job
// state.
type StateOut struct {
	State DebuggerState
}

// Command names dlv-listen's servers answer in RPCServer.Command besides
// Delve's, for a terminal that reaches them through Starlark's raw_command
// (dlv-listen's jobs, signal and detach commands, or a script under stock
// `dlv connect`). The answer's State.When is the line to print.
const (
	CommandJobs   = "dlv-listen.jobs"   // the job-control state
	CommandSignal = "dlv-listen.signal" // send the signal named in Expr
	CommandDetach = "dlv-listen.detach" // detach an attached process
)

// CommandOut is the answer of RPCServer.Command: rpc2.CommandOut with the
// job state.
type CommandOut struct {
	State DebuggerState
}

// Event is an api.Event of GetEvents; a job-control change has Kind
// EventJobControl and the change in JobControl.
type Event struct {
	api.Event
	JobControl *JobEvent `json:",omitempty"`
}

// GetEventsOut is the answer of RPCServer.GetEvents.
type GetEventsOut struct {
	Events []Event
}
