package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/dlv-listen/dlv-listen/service/debugger"
)

func newCoreCommand(o *options) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "core <executable> <core>",
		Short: "Examine a core dump.",
		Long: `Examine a core dump.

The core command opens the core file and its executable, with Delve's own
core reader, and lets you examine the state of the process when the core was
dumped: goroutines, stacks, variables. Core files written by the kernel and by
the 'dump' command (of dlv-listen or dlv) are read. There is no process, so
nothing runs and there is no job control.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 2 {
				return errors.New("you must provide a core file and an executable")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.core(args[0], args[1])
		},
	}
	// -c is accepted and ignored, as dlv does, for coredumpctl's
	// "debug --debugger=dlv-listen".
	var unused bool
	cmd.Flags().BoolVarP(&unused, "core", "c", false, "")
	_ = cmd.Flags().MarkHidden("core")
	return cmd
}

func (o *options) core(exe, corePath string) error {
	if err := o.preflight(false); err != nil {
		return err
	}
	open := func() (*debugger.Debugger, error) {
		return debugger.Core(exe, corePath, o.debuggerConfig(exe))
	}
	if o.server.headless {
		return o.serveHeadless(open)
	}
	d, err := open()
	if err != nil {
		fmt.Fprintf(os.Stderr, "dlv-listen: %v\n", err)
		return exitError(1)
	}
	return o.runTerminal(d, nil)
}
