package main

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"

	"github.com/go-delve/delve/pkg/config"
	"github.com/spf13/cobra"
)

// Version of dlv-listen.
const Version = "0.1.0"

// options are dlv's global flags that apply to dlv-listen, with dlv's
// meaning.
type options struct {
	log, allowNonTerminalInteractive, checkGoVersion, disableASLR bool
	logOutput, logDest, initFile, buildFlags, workingDir, tty     string
	redirects                                                     []string
	output                                                        string
	conf                                                          *config.Config
	server                                                        serverFlags
	follow                                                        followFlags
}

// exitError carries the exit status of a command that already said why.
type exitError int

func (e exitError) Error() string { return "exit status " + strconv.Itoa(int(e)) }

func run(args []string) int {
	root := newRootCommand()
	root.SetArgs(args)
	err := root.Execute()
	var status exitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &status):
		return int(status)
	default:
		// cobra's own errors (unknown command or flag): one line, non-zero.
		fmt.Fprintf(os.Stderr, "dlv-listen: %v\n", err)
		return 1
	}
}

func newRootCommand() *cobra.Command {
	o := &options{}
	root := &cobra.Command{
		Use:   "dlv-listen",
		Short: "A Go debugger faithful to job control.",
		Long: `dlv-listen is Delve's terminal on a Linux backend that attaches with
PTRACE_SEIZE and listens (PTRACE_LISTEN) to a debuggee in a job-control stop:
a program stopped by SIGSTOP, SIGTSTP, SIGTTIN or SIGTTOU stays stopped while
you debug it, and every change of its job state is announced. Commands and
flags are dlv's.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			conf, err := config.LoadConfig()
			if err != nil {
				fmt.Fprintf(os.Stderr, "dlv-listen: %v\n", err)
			}
			o.conf = conf
			return nil
		},
	}
	pf := root.PersistentFlags()
	pf.BoolVar(&o.log, "log", false, "Enable debugging server logging.")
	pf.StringVar(&o.logOutput, "log-output", "", "Comma separated list of components that should produce debug output (see 'dlv help log').")
	pf.StringVar(&o.logDest, "log-dest", "", "Writes logs to the specified file or file descriptor (see 'dlv help log').")
	pf.StringVar(&o.initFile, "init", "", "Init file, executed by the terminal client.")
	pf.StringVar(&o.buildFlags, "build-flags", "", `Build flags, to be passed to the compiler. For example: --build-flags="-tags=integration -mod=vendor -cover -v"`)
	pf.StringVar(&o.workingDir, "wd", "", "Working directory for running the program.")
	pf.BoolVar(&o.checkGoVersion, "check-go-version", true, "Exits if the version of Go in use is not compatible (too old or too new) with the version of Delve.")
	pf.StringArrayVarP(&o.redirects, "redirect", "r", nil, "Specifies redirect rules for target process (see 'dlv help redirect').")
	pf.BoolVar(&o.allowNonTerminalInteractive, "allow-non-terminal-interactive", false, "Allows interactive sessions of Delve that don't have a terminal as stdin, stdout and stderr.")
	pf.BoolVar(&o.disableASLR, "disable-aslr", false, "Disables address space randomization.")
	addServerFlags(pf, &o.server)

	root.AddCommand(newAttachCommand(o), newExecCommand(o), newDebugCommand(o), newTestCommand(o), newConnectCommand(o), newVersionCommand())
	root.AddCommand(newDapCommand(o), newCoreCommand(o), newTraceCommand(o), newSubstitutePathGuessHelperCommand())
	return root
}

func newVersionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Prints version.",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, args []string) {
			fmt.Printf("dlv-listen Debugger\nVersion: %s\nDelve proc layer: v1.27.2\nBackend: PTRACE_SEIZE with listen mode (%s/%s)\n", Version, runtime.GOOS, runtime.GOARCH)
		},
	}
}

// parseRedirects reads dlv's -r rules: "path" is stdin, "stdout:path" and
// "stderr:path" the others.
func parseRedirects(rules []string) ([3]string, error) {
	var r [3]string
	names := [3]string{"stdin", "stdout", "stderr"}
	for _, rule := range rules {
		i := 0
		for j, name := range names {
			if p, ok := strings.CutPrefix(rule, name+":"); ok {
				i, rule = j, p
				break
			}
		}
		if r[i] != "" {
			return r, fmt.Errorf("redirect error: %s redirected twice", names[i])
		}
		r[i] = rule
	}
	return r, nil
}
