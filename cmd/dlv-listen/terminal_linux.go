package main

import (
	"sync"

	"github.com/go-delve/delve/service/api"
	"golang.org/x/sys/unix"

	"github.com/dlv-listen/dlv-listen/backend"
	"github.com/dlv-listen/dlv-listen/listenmode"
	"github.com/dlv-listen/dlv-listen/service/debugger"
)

// foreground gives the controlling terminal to a launched program while it
// runs and takes it back for the prompt, as a shell does with its
// foreground job (tcsetpgrp). Ctrl-Z then stops the program: its group-stop
// is reported as a debugger stop (listenmode.PolicyReport), the terminal
// comes back to the prompt and the program stays stopped. Ctrl-C typed
// while the program owns the terminal reaches the program as SIGINT; the
// backend turns it into a halt and does not deliver it, as gdb does.
type foreground struct {
	tty    int
	ours   int // our process group
	theirs int // the program's process group (its pid: it leads its own)

	mu      sync.Mutex
	running bool // a command runs the program
	// stopped: the program's job is stopped as a whole (every debugged
	// process of its process group, the children it execs included).
	stopped func() bool
}

func newForeground(pid int) *foreground {
	f := &foreground{tty: 0, ours: unix.Getpgrp(), theirs: pid, stopped: func() bool { return false }}
	// The program took the terminal when it started; the prompt comes
	// first.
	f.set(f.ours)
	return f
}

func (f *foreground) set(pgrp int) {
	// SIGTTOU is ignored (backend.Launch with LaunchForeground), so a
	// background process group may set the foreground one.
	_ = unix.IoctlSetPointerInt(f.tty, unix.TIOCSPGRP, pgrp)
}

// update hands the terminal to whoever should have it now: the program while
// a command runs it and its job is not stopped, else us. As a shell does,
// a job some of whose processes are stopped while others run keeps the
// terminal: a running child reading it would otherwise be stopped by
// SIGTTIN.
func (f *foreground) update() {
	if f.running && !f.stopped() {
		f.set(f.theirs)
	} else {
		f.set(f.ours)
	}
}

func (f *foreground) begin() {
	f.mu.Lock()
	f.running = true
	f.update()
	f.mu.Unlock()
}

func (f *foreground) end() {
	f.mu.Lock()
	f.running = false
	f.update()
	f.mu.Unlock()
}

// follow tracks the program's job state: a stopped job never owns the
// terminal (what the user types must reach the prompt), and SIGCONT gives
// it back while a command waits for it.
func (f *foreground) follow(d *debugger.Debugger) {
	f.mu.Lock()
	f.stopped = func() bool { return d.JobStateOf(f.theirs) == listenmode.JobStopped }
	f.mu.Unlock()
	d.OnTargetEvent(func(ev debugger.TargetEvent) {
		if (ev.Kind == debugger.JobStopped || ev.Kind == debugger.JobContinued) && ev.Pgid == f.theirs {
			f.mu.Lock()
			f.update()
			f.mu.Unlock()
		}
	})
}

// wrap returns d's client with terminal handoff around every command that
// runs the program.
func (f *foreground) wrap(d *debugger.Debugger) *handoffClient {
	// The children it execs and the debugger follows share its process
	// group, hence the terminal: the same for them.
	owner := func(p *backend.Process) {
		p.SetGroupStopPolicy(listenmode.PolicyReport)
		p.InterceptSignals(unix.SIGINT)
	}
	owner(d.Process())
	d.OnNewProcess(owner)
	f.follow(d)
	return &handoffClient{Client: d.Client(), fg: f}
}

// handoffClient is the in-process client with terminal handoff. The
// terminal reaches it through the JSON-RPC server (service/rpc), whose
// commands arrive as CallAPI("Command"); the service.Client methods that run
// the program hand off the terminal too, for callers of the client itself.
type handoffClient struct {
	*debugger.Client
	fg *foreground
}

func (c *handoffClient) relay(states <-chan *api.DebuggerState) <-chan *api.DebuggerState {
	out := make(chan *api.DebuggerState)
	go func() {
		defer close(out)
		for st := range states {
			// The prompt may follow this state: take the terminal first.
			c.fg.end()
			out <- st
		}
		c.fg.end()
	}()
	return out
}

func (c *handoffClient) Continue() <-chan *api.DebuggerState {
	c.fg.begin()
	return c.relay(c.Client.Continue())
}

func (c *handoffClient) DirectionCongruentContinue() <-chan *api.DebuggerState {
	c.fg.begin()
	return c.relay(c.Client.DirectionCongruentContinue())
}

func (c *handoffClient) Next() (*api.DebuggerState, error) {
	c.fg.begin()
	defer c.fg.end()
	return c.Client.Next()
}

func (c *handoffClient) Step() (*api.DebuggerState, error) {
	c.fg.begin()
	defer c.fg.end()
	return c.Client.Step()
}

func (c *handoffClient) StepOut() (*api.DebuggerState, error) {
	c.fg.begin()
	defer c.fg.end()
	return c.Client.StepOut()
}

func (c *handoffClient) StepInstruction(skipCalls bool) (*api.DebuggerState, error) {
	c.fg.begin()
	defer c.fg.end()
	return c.Client.StepInstruction(skipCalls)
}

func (c *handoffClient) Call(goroutineID int64, expr string, unsafe bool) (*api.DebuggerState, error) {
	c.fg.begin()
	defer c.fg.end()
	return c.Client.Call(goroutineID, expr, unsafe)
}

// CallAPI hands the terminal to the program around a "Command" that runs it,
// and takes it back before the state is returned, so the prompt that
// follows owns the terminal.
func (c *handoffClient) CallAPI(method string, args, reply any) error {
	if method == "Command" && runsProgram(args) {
		c.fg.begin()
		defer c.fg.end()
	}
	return c.Client.CallAPI(method, args, reply)
}

// runsProgram reports whether args (CallAPI's argument of "Command") is a
// command that lets the program execute.
func runsProgram(args any) bool {
	var name string
	switch cmd := args.(type) {
	case *api.DebuggerCommand:
		if cmd == nil {
			return false
		}
		name = cmd.Name
	case api.DebuggerCommand:
		name = cmd.Name
	default:
		return false
	}
	switch name {
	case api.Continue, api.DirectionCongruentContinue, api.Next, api.Step, api.StepOut,
		api.StepInstruction, api.NextInstruction, api.Call:
		return true
	}
	return false
}
