package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/go-delve/delve/pkg/gobuild"
	"github.com/go-delve/delve/pkg/proc"
	"github.com/spf13/cobra"

	"github.com/dlv-listen/dlv-listen/backend"
	"github.com/dlv-listen/dlv-listen/service/debugger"
)

func newExecCommand(o *options) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "exec <path/to/binary> [-- args]",
		Short: "Execute a precompiled binary, and begin a debug session.",
		Long: `Execute a precompiled binary and begin a debug session.

The binary is held at its first instruction. While it runs it owns the
terminal, so Ctrl-Z stops it: dlv-listen then takes the terminal back and shows
its prompt with the program still stopped, until it gets SIGCONT (for example
from the 'signal SIGCONT' command).`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return fmt.Errorf("you must provide a path to a binary")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			dlvArgs, targetArgs := splitArgs(cmd, args)
			if len(dlvArgs) != 1 {
				return fmt.Errorf("exec takes one binary; put its arguments after --")
			}
			return o.launch(append([]string{dlvArgs[0]}, targetArgs...))
		},
	}
	cmd.Flags().StringVar(&o.tty, "tty", "", "TTY to use for the target program")
	return cmd
}

func newDebugCommand(o *options) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "debug [package] [-- args]",
		Short: "Compile and begin debugging main package in current directory, or the package specified.",
		Long: `Compiles your program with optimizations disabled, starts and attaches to it.

By default, with no arguments, dlv-listen compiles the 'main' package in the
current directory and begins to debug it. Alternatively you can specify a
package name and it will compile that package instead.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			dlvArgs, targetArgs := splitArgs(cmd, args)
			if err := o.preflight(true); err != nil {
				return err
			}
			debugname := gobuild.DefaultDebugBinaryPath("__debug_bin")
			if o.output != "" {
				abs, err := filepath.Abs(o.output)
				if err != nil {
					return err
				}
				debugname = abs
			}
			// The compiler's output goes to our stderr as it comes.
			if err := gobuild.GoBuild(debugname, dlvArgs, o.buildFlags); err != nil {
				if o.output == "" {
					gobuild.Remove(debugname)
				}
				fmt.Fprintf(os.Stderr, "dlv-listen: build failed: %v\n", err)
				return exitError(1)
			}
			if o.output == "" {
				defer gobuild.Remove(debugname)
			}
			return o.launch(append([]string{debugname}, targetArgs...))
		},
	}
	cmd.Flags().StringVar(&o.output, "output", "", "Output path for the binary.")
	cmd.Flags().StringVar(&o.tty, "tty", "", "TTY to use for the target program")
	return cmd
}

func splitArgs(cmd *cobra.Command, args []string) ([]string, []string) {
	if n := cmd.ArgsLenAtDash(); n >= 0 {
		return args[:n], args[n:]
	}
	return args, nil
}

func (o *options) launch(argv []string) error {
	if err := o.preflight(true); err != nil {
		return err
	}
	if len(o.redirects) > 0 && o.tty != "" {
		return fmt.Errorf("can not use -r and --tty together")
	}
	redirects, err := parseRedirects(o.redirects)
	if err != nil {
		return err
	}
	path, err := exec.LookPath(argv[0])
	if err != nil {
		fmt.Fprintf(os.Stderr, "dlv-listen: %v\n", err)
		return exitError(1)
	}
	abs, _ := filepath.Abs(path)
	argv[0] = abs

	// With a terminal and no redirect of stdin, the program shares our
	// terminal: it is started in its own process group and owns the
	// terminal whenever it runs (see terminal_linux.go).
	var flags proc.LaunchFlags
	share := o.tty == "" && redirects[0] == "" && isTerminal(os.Stdin)
	if share {
		flags |= proc.LaunchForeground
	}
	if o.disableASLR {
		flags |= proc.LaunchDisableASLR
	}
	grp, err := backend.Launch(argv, o.workingDir, flags, o.conf.DebugInfoDirectories, o.tty,
		redirects[0], proc.OutputRedirect{Path: redirects[1]}, proc.OutputRedirect{Path: redirects[2]})
	if err != nil {
		fmt.Fprintf(os.Stderr, "dlv-listen: %v\n", err)
		return exitError(1)
	}
	var fg *foreground
	if share {
		fg = newForeground(grp.Selected.Pid())
	}
	return o.runTerminal(grp, debugger.Config{
		Executable:     abs,
		ProcessArgs:    argv,
		CheckGoVersion: o.checkGoVersion,
		DebugInfoDirs:  o.conf.DebugInfoDirectories,
	}, fg)
}
