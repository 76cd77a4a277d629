package main

import (
	"fmt"
	"os"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/dlv-listen/dlv-listen/service/debugger"
)

func newAttachCommand(o *options) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "attach pid [executable]",
		Short: "Attach to running process and begin debugging.",
		Long: `Attach to an already running process and begin debugging it.

The process keeps its job-control state: attaching to a stopped process leaves
it stopped, and it is announced whenever it is stopped or continued.

With --job, every process of pid's process group (a shell job such as
'./a | ./b') is attached, and the job is announced when all of its processes
stop or continue.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return fmt.Errorf("you must provide a PID")
			}
			if len(args) > 2 {
				return fmt.Errorf("too many arguments: attach takes a pid and optionally the executable")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			pid, err := strconv.Atoi(args[0])
			if err != nil {
				return fmt.Errorf("invalid pid %q: not a number", args[0])
			}
			return o.attach(pid, args[1:])
		},
	}
	addContinueFlag(cmd, &o.server)
	addFollowExecFlags(cmd, &o.follow)
	cmd.Flags().BoolVar(&o.follow.job, "job", false, "Attach to every process of pid's process group (its shell job) and follow the children they start; members that are not Go programs are left alone.")
	return cmd
}

func (o *options) attach(pid int, executable []string) error {
	if err := o.preflight(false); err != nil {
		return err
	}
	var exe string
	if len(executable) > 0 {
		exe = executable[0]
	}
	if o.server.headless {
		return o.serveHeadless(func() (*debugger.Debugger, error) {
			return debugger.Attach(pid, o.debuggerConfig(exe))
		})
	}
	d, err := debugger.Attach(pid, o.debuggerConfig(exe))
	if err != nil {
		fmt.Fprintf(os.Stderr, "dlv-listen: %v\n", err)
		return exitError(1)
	}
	return o.runTerminal(d, nil)
}
