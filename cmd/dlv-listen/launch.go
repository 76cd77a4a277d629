package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

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
			return o.start(append([]string{dlvArgs[0]}, targetArgs...))
		},
	}
	cmd.Flags().StringVar(&o.tty, "tty", "", "TTY to use for the target program")
	addContinueFlag(cmd, &o.server)
	addFollowExecFlags(cmd, &o.follow)
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
			return o.buildAndStart(cmd, args, false)
		},
	}
	cmd.Flags().StringVar(&o.output, "output", "", "Output path for the binary.")
	cmd.Flags().StringVar(&o.tty, "tty", "", "TTY to use for the target program")
	addContinueFlag(cmd, &o.server)
	addFollowExecFlags(cmd, &o.follow)
	return cmd
}

func splitArgs(cmd *cobra.Command, args []string) ([]string, []string) {
	if n := cmd.ArgsLenAtDash(); n >= 0 {
		return args[:n], args[n:]
	}
	return args, nil
}

// start launches argv and runs the terminal on it.
func (o *options) start(argv []string) error {
	if err := o.preflight(true); err != nil {
		return err
	}
	lc, err := o.launchConfig()
	if err != nil {
		return err
	}
	if o.server.headless {
		// As dlv (Foreground: headless && tty == ""): the program gets
		// the terminal's foreground for good, if our stdin (or its
		// redirect) is one; a headless server has no prompt to take it
		// back for. Ctrl-Z and Ctrl-C typed there go to the program.
		lc.Foreground = o.tty == ""
		return o.serveHeadless(func() (*debugger.Debugger, error) {
			return debugger.Launch(argv, lc, o.debuggerConfig(""))
		})
	}
	// With a terminal and no redirect of stdin, the program shares our
	// terminal: it is started in its own process group and owns the
	// terminal whenever it runs (see terminal_linux.go).
	lc.Foreground = o.tty == "" && lc.Redirects[0] == "" && isTerminal(os.Stdin)
	d, err := debugger.Launch(argv, lc, o.debuggerConfig(""))
	if err != nil {
		fmt.Fprintf(os.Stderr, "dlv-listen: %v\n", err)
		return exitError(1)
	}
	var fg *foreground
	if lc.Foreground {
		fg = newForeground(d.Process().Pid())
	}
	return o.runTerminal(d, fg)
}

// launchConfig is the launch part of dlv's flags.
func (o *options) launchConfig() (debugger.LaunchConfig, error) {
	if len(o.redirects) > 0 && o.tty != "" {
		return debugger.LaunchConfig{}, fmt.Errorf("can not use -r and --tty together")
	}
	redirects, err := parseRedirects(o.redirects)
	if err != nil {
		return debugger.LaunchConfig{}, err
	}
	return debugger.LaunchConfig{
		WorkingDir:  o.workingDir,
		Redirects:   redirects,
		TTY:         o.tty,
		DisableASLR: o.disableASLR,
	}, nil
}

// debuggerConfig is the session part of dlv's flags.
func (o *options) debuggerConfig(exe string) debugger.Config {
	return debugger.Config{
		Executable:      exe,
		CheckGoVersion:  o.checkGoVersion,
		DebugInfoDirs:   o.conf.DebugInfoDirectories,
		FollowExec:      o.follow.on || o.follow.regex != "",
		FollowExecRegex: o.follow.regex,
		Job:             o.follow.job,
	}
}
