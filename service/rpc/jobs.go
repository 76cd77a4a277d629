package rpc

// dlv-listen's job-control methods, and the job state added to State and
// Command answers.

import (
	"errors"
	"fmt"

	"github.com/go-delve/delve/service/api"
	"github.com/go-delve/delve/service/rpc2"

	"github.com/dlv-listen/dlv-listen/service/jobapi"
)

// JobState answers the debuggee's job-control state now.
func (r *rpcServer) JobState(_ jobapi.JobStateIn, out *jobapi.JobStateOut) error {
	out.JobState = r.s.d.JobStatus()
	return nil
}

// Signal sends the debuggee a signal with kill(2). It needs no ptrace and
// works while a command runs (a SIGCONT is how a continue that waits on a
// job-control stop goes on).
func (r *rpcServer) Signal(in jobapi.SignalIn, out *jobapi.SignalOut) error {
	res, err := r.s.d.SendSignal(in.Signal)
	if err != nil {
		return err
	}
	*out = res
	return nil
}

// errConnClosed ends a waiting call whose connection went away.
var errConnClosed = errors.New("connection closed")

// JobEvents answers the job-control changes after in.After; with in.Wait
// it waits for one, until the process is let go or the connection closes.
func (r *rpcServer) JobEvents(in jobapi.JobEventsIn, out *jobapi.JobEventsOut) error {
	for {
		evs, more := r.s.d.JobEventsAfter(in.After)
		if len(evs) > 0 || !in.Wait || r.s.d.Gone() != nil {
			out.Events, out.Next = evs, in.After
			if len(evs) > 0 {
				out.Next = evs[len(evs)-1].Seq
			}
			return nil
		}
		select {
		case <-more:
		case <-r.conn.closed:
			return errConnClosed
		}
	}
}

// State answers the session state, with the job state.
func (r *rpcServer) State(in rpc2.StateIn, out *jobapi.StateOut) error {
	var st rpc2.StateOut
	if err := r.call("State", &in, &st); err != nil {
		return err
	}
	out.State = jobapi.DebuggerState{DebuggerState: st.State, JobControl: r.s.knownJobState()}
	return nil
}

// IsMulticlient answers whether the server accepts more than one client
// (dlv's --accept-multiclient).
func (r *rpcServer) IsMulticlient(_ rpc2.IsMulticlientIn, out *rpc2.IsMulticlientOut) error {
	r.s.mu.Lock()
	out.IsMulticlient = r.s.multiclient
	r.s.mu.Unlock()
	return nil
}

// knownJobState is the job state as the session last saw it. It does not
// probe the process: a state answer must not cost a system call more.
func (s *Server) knownJobState() *jobapi.JobState {
	js := s.d.KnownJobStatus()
	return &js
}

// jobCommand answers dlv-listen's Command names (jobapi.CommandJobs...):
// the line to print goes in State.When.
func (r *rpcServer) jobCommand(cmd api.DebuggerCommand, out *rpc2.CommandOut) error {
	d := r.s.d
	switch cmd.Name {
	case jobapi.CommandJobs:
		out.State.When = d.JobStatus().Text
	case jobapi.CommandSignal:
		res, err := d.SendSignal(cmd.Expr)
		if err != nil {
			return err
		}
		out.State.When = res.Text
	case jobapi.CommandDetach:
		if d.Launched() {
			return errors.New("detach: the program was started by the debugger; use exit to end it")
		}
		pid := d.Process().Pid()
		if err := r.call("Detach", &rpc2.DetachIn{Kill: false}, &rpc2.DetachOut{}); err != nil {
			return err
		}
		out.State.When = fmt.Sprintf("detached from process %d", pid)
		r.s.mu.Lock()
		fn := r.s.onCommandDetach
		r.s.mu.Unlock()
		if fn != nil {
			fn(out.State.When)
		} else {
			go r.s.detached()
		}
	}
	return nil
}
