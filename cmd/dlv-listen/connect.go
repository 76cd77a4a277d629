package main

import (
	"errors"
	"fmt"
	"os"

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
	client := relayClient(conn)
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
	initFile, cleanup, err := writeInitFile(o.initFile)
	if err != nil {
		fmt.Fprintf(os.Stderr, "dlv-listen: %v\n", err)
		return exitError(1)
	}
	defer cleanup()
	exitAfterDetach = func() { cleanup(); os.Exit(0) }
	term := terminal.New(client, o.conf, false)
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
