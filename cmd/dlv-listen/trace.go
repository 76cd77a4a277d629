package main

import (
	"fmt"
	"os"
	"regexp"

	"github.com/go-delve/delve/pkg/logflags"
	"github.com/spf13/cobra"
)

// traceFlags are dlv's flags of the trace command, with dlv's names,
// defaults and meaning.
type traceFlags struct {
	pid         int
	exec        string
	test        bool
	ebpf        bool
	timestamp   bool
	stack       int
	followCalls int
	verbose     int
}

func newTraceCommand(o *options) *cobra.Command {
	f := &traceFlags{}
	cmd := &cobra.Command{
		Use:   "trace [package] regexp",
		Short: "Compile and begin tracing program.",
		Long: `Trace program execution.

The trace sub command will set a tracepoint on every function matching the
provided regular expression and output information when tracepoint is hit.  This
is useful if you do not want to begin an entire debug session, but merely want
to know what functions your process is executing.

The output of the trace sub command is printed to stderr, so if you would like to
only see the output of the trace operations you can redirect stdout.

The traced process keeps its job-control state: a stop (SIGSTOP, SIGTSTP,
SIGTTIN, SIGTTOU) and the SIGCONT that ends it are printed in the trace, and a
stopped process is not traced on until it is continued. Ctrl-C or SIGTERM ends
the trace; a process traced with --pid is then left running (or stopped) as it
was, with no breakpoint.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.trace(cmd, args, f)
		},
	}
	fl := cmd.Flags()
	fl.IntVarP(&f.pid, "pid", "p", 0, "Pid to attach to.")
	fl.StringVarP(&f.exec, "exec", "e", "", "Binary file to exec and trace.")
	fl.BoolVarP(&f.test, "test", "t", false, "Trace a test binary.")
	fl.BoolVar(&f.ebpf, "ebpf", false, "Trace using eBPF (not supported by dlv-listen).")
	fl.BoolVar(&f.timestamp, "timestamp", false, "Show timestamp in the output")
	fl.IntVarP(&f.stack, "stack", "s", 0, "Show stack trace with given depth. (Ignored with --ebpf)")
	fl.StringVarP(&o.output, "output", "o", "", "Output path for the binary.")
	fl.IntVar(&f.followCalls, "follow-calls", 0, "Trace all children of the function to the required depth. Trace also supports defer functions and cases where functions are dynamically returned and passed as parameters.")
	fl.IntVarP(&f.verbose, "verbose", "v", 0, "Parameter verbosity: 0=values, 1=types, 2=inline, 3=expanded, 4=full (default 0)")
	return cmd
}

// traceTarget is what a trace command runs on: a pid, or a command line
// (argv[0] built or given with --exec), and a func that removes a binary
// we built.
type traceTarget struct {
	pid     int
	argv    []string
	cleanup func()
}

// trace runs the trace command: its checks, then the target, then the
// trace itself (traceSession).
func (o *options) trace(cmd *cobra.Command, args []string, f *traceFlags) error {
	if f.ebpf {
		fmt.Fprintln(os.Stderr, "dlv-listen: --ebpf: eBPF tracing is not supported by dlv-listen; trace without --ebpf uses breakpoints")
		return exitError(1)
	}
	if o.server.headless {
		fmt.Fprintf(os.Stderr, "Warning: headless mode not supported with trace\n")
	}
	if o.server.acceptMulti {
		fmt.Fprintf(os.Stderr, "Warning: accept multiclient mode not supported with trace\n")
	}
	dlvArgs, targetArgs := splitArgs(cmd, args)
	if len(dlvArgs) == 0 {
		fmt.Fprintln(os.Stderr, "you must supply a regexp for functions to trace")
		return exitError(1)
	}
	expr, pkgs := dlvArgs[len(dlvArgs)-1], dlvArgs[:len(dlvArgs)-1]
	// Checked before anything is built, launched or attached: a bad
	// expression leaves every process as it was.
	if _, err := regexp.Compile(expr); err != nil {
		fmt.Fprintf(os.Stderr, "dlv-listen: invalid trace regexp %q: %v\n", expr, err)
		return exitError(1)
	}
	if err := o.preflightTrace(); err != nil {
		return err
	}
	tt, err := o.traceTarget(f, pkgs, targetArgs)
	if err != nil {
		return err
	}
	defer tt.cleanup()
	return o.traceSession(tt, expr, f)
}

// traceTarget builds the package (or the test binary), or takes --exec's
// binary or --pid.
func (o *options) traceTarget(f *traceFlags, pkgs, targetArgs []string) (traceTarget, error) {
	tt := traceTarget{pid: f.pid, cleanup: func() {}}
	if f.pid != 0 {
		if f.pid < 0 {
			fmt.Fprintf(os.Stderr, "dlv-listen: invalid pid %d\n", f.pid)
			return tt, exitError(1)
		}
		return tt, nil
	}
	if f.exec != "" {
		if len(pkgs) > 0 {
			fmt.Fprintln(os.Stderr, "Cannot specify package when using --exec.")
			return tt, exitError(1)
		}
		tt.argv = append([]string{f.exec}, targetArgs...)
		return tt, nil
	}
	debugname, cleanup, err := o.build(pkgs, f.test)
	if err != nil {
		return tt, err
	}
	tt.argv, tt.cleanup = append([]string{debugname}, targetArgs...), cleanup
	return tt, nil
}

// preflightTrace sets up logging. Unlike the other commands, trace
// needs no terminal: it reads nothing from its user, and its output may be
// redirected.
func (o *options) preflightTrace() error {
	return logflags.Setup(o.log, o.logOutput, o.logDest)
}
