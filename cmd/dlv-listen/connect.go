package main

import (
	"errors"
	"fmt"
	"net/rpc"
	"os"
	"strings"

	"github.com/go-delve/delve/pkg/logflags"
	"github.com/go-delve/delve/pkg/terminal"
	"github.com/go-delve/delve/service/api"
	"github.com/go-delve/delve/service/rpc2"
	"github.com/spf13/cobra"

	"github.com/dlv-listen/dlv-listen/service/jobapi"
	"github.com/dlv-listen/dlv-listen/service/listener"
)

func newConnectCommand(o *options) *cobra.Command {
	return &cobra.Command{
		Use:   "connect addr",
		Short: "Connect to a headless debug server with a terminal client.",
		Long: `Connect to a running headless debug server with a terminal client. Prefix with 'unix:' to use a unix domain socket.

The server may be dlv-listen or dlv. With dlv-listen, the terminal announces
every job-control change of the program and has the jobs, signal and detach
commands.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return errors.New("you must provide an address as the first argument")
			}
			if len(args) > 1 {
				return fmt.Errorf("too many arguments: connect takes one address")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.connect(args[0])
		},
	}
}

// connect runs Delve's terminal on a headless server at addr, as dlv
// connect does.
func (o *options) connect(addr string) error {
	if err := logflags.Setup(o.log, o.logOutput, o.logDest); err != nil {
		return err
	}
	defer logflags.Close()
	if addr == "" {
		fmt.Fprintln(os.Stderr, "An empty address was provided. You must provide an address as the first argument.")
		return exitError(1)
	}
	conn, err := listener.Dial(addr)
	if err != nil {
		fmt.Fprintf(os.Stderr, "dlv-listen: connect to %s: %v\n", addr, err)
		return exitError(1)
	}
	client := rpc2.NewClientFromConn(conn)
	// A server that refuses us (another user's, or busy with its one
	// client) closes the connection: say so rather than start a terminal.
	if err := client.CallAPI("GetVersion", api.GetVersionIn{}, &api.GetVersionOut{}); err != nil {
		fmt.Fprintf(os.Stderr, "dlv-listen: connect to %s: the server does not answer: %v\n", addr, err)
		return exitError(1)
	}
	if client.IsMulticlient() {
		// As dlv: a running target is halted so the terminal can start.
		if st, _ := client.GetStateNonBlocking(); st != nil && st.Running {
			if _, err := client.Halt(); err != nil {
				fmt.Fprintf(os.Stderr, "could not halt: %v", err)
				return exitError(1)
			}
		}
	}
	go announceJobEvents(client)
	tc := &termClient{RPCClient: client}
	initFile, cleanup, err := writeInitFile(o.initFile)
	if err != nil {
		fmt.Fprintf(os.Stderr, "dlv-listen: %v\n", err)
		return exitError(1)
	}
	defer cleanup()
	exitAfterDetach = func() { cleanup(); os.Exit(0) }
	term := terminal.New(tc, o.conf, false)
	term.InitFile = initFile
	status, err := term.Run()
	if err != nil {
		fmt.Println(err)
	}
	if status != 0 {
		return exitError(status)
	}
	return nil
}

// announceJobEvents prints each job-control change the server reports
// (RPCServer.JobEvents), from now on, until the connection ends. A server
// without the method (stock dlv) ends it at once.
func announceJobEvents(c *rpc2.RPCClient) {
	var out jobapi.JobEventsOut
	if err := c.CallAPI("JobEvents", jobapi.JobEventsIn{}, &out); err != nil {
		return
	}
	for after := out.Next; ; after = out.Next {
		out = jobapi.JobEventsOut{}
		if err := c.CallAPI("JobEvents", jobapi.JobEventsIn{After: after, Wait: true}, &out); err != nil {
			return
		}
		for _, ev := range out.Events {
			fmt.Println(ev.Text)
		}
	}
}

// The raw_command names of dlv-listen's terminal commands (prelude.star).
const (
	commandJobs   = jobapi.CommandJobs
	commandSignal = jobapi.CommandSignal
	commandDetach = jobapi.CommandDetach
)

// termClient is the rpc2 client of connect's terminal. The Starlark
// commands jobs, signal and detach reach it as raw_command names; it
// answers them with the server's job-control methods (RPCServer.JobState,
// RPCServer.Signal) and Detach, and puts the line to print in State.When,
// so that it can say when the server is not dlv-listen. (The in-process
// terminal is given the rpc2 client itself, which Delve's trace command
// requires, and its server answers those names.)
type termClient struct {
	*rpc2.RPCClient
}

func (c *termClient) CallAPI(method string, args, reply any) error {
	if method != "Command" {
		return c.RPCClient.CallAPI(method, args, reply)
	}
	cmd, ok := args.(*api.DebuggerCommand)
	out, okOut := reply.(*rpc2.CommandOut)
	if !ok || cmd == nil || !okOut {
		return c.RPCClient.CallAPI(method, args, reply)
	}
	switch cmd.Name {
	case commandJobs:
		var js jobapi.JobStateOut
		if err := c.RPCClient.CallAPI("JobState", jobapi.JobStateIn{}, &js); err != nil {
			return noJobControl("jobs", err)
		}
		out.State.When = js.JobState.Text
		return nil
	case commandSignal:
		var so jobapi.SignalOut
		if err := c.RPCClient.CallAPI("Signal", jobapi.SignalIn{Signal: cmd.Expr}, &so); err != nil {
			return noJobControl("signal", err)
		}
		out.State.When = so.Text
		return nil
	case commandDetach:
		return c.detach()
	}
	return c.RPCClient.CallAPI(method, args, reply)
}

// detach lets the process go (breakpoints removed, job state kept) and
// ends dlv-listen: the terminal has no detach of its own, and a Starlark
// command cannot end it.
func (c *termClient) detach() error {
	if !c.AttachedToExistingProcess() {
		return fmt.Errorf("detach: the program was started by the debugger; use exit to end it")
	}
	pid := c.ProcessPid()
	if err := c.Detach(false); err != nil {
		return err
	}
	fmt.Printf("detached from process %d\n", pid)
	exitAfterDetach()
	return nil
}

// noJobControl words the error of a job-control method that the server
// lacks (stock dlv answers an unknown method).
func noJobControl(cmd string, err error) error {
	var serr rpc.ServerError
	if errors.As(err, &serr) && (strings.Contains(err.Error(), "unknown method") || strings.Contains(err.Error(), "can't find method")) {
		return fmt.Errorf("%s: the server is not dlv-listen and has no job control", cmd)
	}
	return err
}
