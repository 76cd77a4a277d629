package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/go-delve/delve/pkg/gobuild"
	"github.com/spf13/cobra"

	"github.com/dlv-listen/dlv-listen/service/debugger"
)

func newTestCommand(o *options) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "test [package] [-- test flags]",
		Short: "Compile test binary and begin debugging program.",
		Long: `Compiles a test binary with optimizations disabled and begins a new debug session.

The test command allows you to begin a new debug session in the context of your
unit tests. By default dlv-listen will debug the tests in the current directory.
Alternatively you can specify a package name, and dlv-listen will debug the tests
in that package instead. Flags for the test binary go after '--', for example
'dlv-listen test ./pkg -- -test.run TestX'.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.buildAndStart(cmd, args, true)
		},
	}
	cmd.Flags().StringVar(&o.output, "output", "", "Output path for the binary.")
	cmd.Flags().StringVar(&o.tty, "tty", "", "TTY to use for the target program")
	addContinueFlag(cmd, &o.server)
	addFollowExecFlags(cmd, &o.follow)
	return cmd
}

// buildAndStart runs the debug (or test) command: build, then start.
func (o *options) buildAndStart(cmd *cobra.Command, args []string, test bool) error {
	dlvArgs, targetArgs := splitArgs(cmd, args)
	if err := o.preflight(true); err != nil {
		return err
	}
	debugname, cleanup, err := o.build(dlvArgs, test)
	if err != nil {
		return err
	}
	defer cleanup()
	return o.start(append([]string{debugname}, targetArgs...))
}

// build compiles the package of a debug or test command (as dlv: one
// package, "." by default) into --output or a __debug_bin in the current
// directory, and returns its path and a func that removes a binary we
// named.
func (o *options) build(pkgs []string, test bool) (string, func(), error) {
	if len(pkgs) > 1 {
		return "", nil, fmt.Errorf("too many packages %v: give one package, and the program's arguments after --", pkgs)
	}
	pkg := "."
	if len(pkgs) == 1 {
		pkg = pkgs[0]
	}
	var debugname string
	cleanup := func() {}
	if o.output != "" {
		abs, err := filepath.Abs(o.output)
		if err != nil {
			return "", nil, fmt.Errorf("output %s: %w", o.output, err)
		}
		debugname = abs
	} else {
		// DefaultDebugBinaryPath creates the file that reserves the name:
		// only when it is the name used, or the file is left behind.
		name := "__debug_bin"
		if test {
			name = "debug.test"
		}
		debugname = gobuild.DefaultDebugBinaryPath(name)
		cleanup = func() { gobuild.Remove(debugname) }
	}
	if err := debugger.Build(pkg, debugname, test, o.buildFlags, ""); err != nil {
		cleanup()
		fmt.Fprintf(os.Stderr, "%v\ndlv-listen: build failed\n", err)
		return "", nil, exitError(1)
	}
	return debugname, cleanup, nil
}
