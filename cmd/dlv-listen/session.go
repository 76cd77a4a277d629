package main

import (
	_ "embed"
	"fmt"
	"os"
	"path/filepath"

	"github.com/go-delve/delve/pkg/logflags"
	"github.com/go-delve/delve/pkg/terminal"
	"github.com/go-delve/delve/service"
	"golang.org/x/sys/unix"

	"github.com/dlv-listen/dlv-listen/service/debugger"
	"github.com/dlv-listen/dlv-listen/service/rpc"
)

// prelude adds the job-control commands to Delve's terminal through its
// Starlark command_ extension.
//
//go:embed prelude.star
var prelude []byte

// preflight sets up logging and refuses a terminal session without a
// terminal, as dlv does.
func (o *options) preflight(launch bool) error {
	if err := logflags.Setup(o.log, o.logOutput, o.logDest); err != nil {
		return err
	}
	if err := o.serverPreflight(); err != nil {
		return err
	}
	if !o.allowNonTerminalInteractive && !o.server.headless {
		for _, f := range []struct {
			name string
			file *os.File
		}{{"stdin", os.Stdin}, {"stdout", os.Stdout}, {"stderr", os.Stderr}} {
			if !isTerminal(f.file) {
				return fmt.Errorf("%s is not a terminal; use -r to redirect the program's streams, or --allow-non-terminal-interactive=true to run dlv-listen without one", f.name)
			}
		}
	}
	return nil
}

// runTerminal runs Delve's terminal on session d until the user leaves it.
func (o *options) runTerminal(d *debugger.Debugger, fg *foreground) error {
	launched := d.Launched()
	printWarnings(d)
	d.SetNoticeFunc(func(s string) { fmt.Fprintln(os.Stdout, s) })

	// Delve's terminal runs on a genuine *rpc2.RPCClient (its trace
	// command type-asserts one to set return tracepoints), connected
	// in-process to a JSON-RPC server over the session, which also answers
	// the jobs, signal and detach commands of the prelude.
	var client service.Client = d.Client()
	if fg != nil {
		client = fg.wrap(d)
	}
	srv := rpc.NewServer(d, refusalsSaid{client})
	srv.SetCommandDetachFunc(func(line string) {
		fmt.Println(line)
		exitAfterDetach()
	})
	rpcClient, closeClient := rpc.Pipe(srv)
	defer closeClient()
	initFile, cleanup, err := writeInitFile(o.initFile)
	if err != nil {
		fmt.Fprintf(os.Stderr, "dlv-listen: %v\n", err)
		_ = d.Close(launched)
		return exitError(1)
	}
	defer cleanup()
	exitAfterDetach = func() { cleanup(); os.Exit(0) }
	term := terminal.New(rpcClient, o.conf, !launched)
	term.InitFile = initFile
	status, err := term.Run()
	if err != nil {
		// As dlv prints it (EOF when stdin ends at a question).
		fmt.Println(err)
	}
	// The terminal detaches or kills on exit; this is the backstop for every
	// other way it can end, so no breakpoint is left behind.
	_ = d.Close(launched)
	if status != 0 {
		return exitError(status)
	}
	return nil
}

// refusalsSaid is the terminal's client. Delve's terminal ignores the
// error of FollowExec ('target follow-exec -on REGEX' says nothing when
// the regex is invalid): it is printed here, as the terminal prints a
// command's error.
type refusalsSaid struct{ service.Client }

func (c refusalsSaid) CallAPI(method string, args, reply any) error {
	err := c.Client.CallAPI(method, args, reply)
	if err != nil && method == "FollowExec" {
		fmt.Fprintf(os.Stderr, "Command failed: %v\n", err)
	}
	return err
}

// printWarnings says on stderr what the session had to say as it started
// (the members of a job that attach --job left alone).
func printWarnings(d *debugger.Debugger) {
	for _, w := range d.Warnings() {
		fmt.Fprintf(os.Stderr, "Warning: %s\n", w)
	}
}

// exitAfterDetach ends dlv-listen once the process is let go; set by
// runTerminal to remove its files first.
var exitAfterDetach = func() { os.Exit(0) }

// writeInitFile writes the terminal's init file: the prelude, then the
// user's --init file.
func writeInitFile(user string) (string, func(), error) {
	dir, err := os.MkdirTemp("", "dlv-listen-")
	if err != nil {
		return "", func() {}, err
	}
	cleanup := func() { os.RemoveAll(dir) }
	star := filepath.Join(dir, "prelude.star")
	if err := os.WriteFile(star, prelude, 0o600); err != nil {
		cleanup()
		return "", func() {}, err
	}
	// The source command takes the rest of the line as the path, unquoted.
	script := "source " + star + "\n"
	if user != "" {
		abs, err := filepath.Abs(user)
		if err != nil {
			cleanup()
			return "", func() {}, err
		}
		if _, err := os.Stat(abs); err != nil {
			cleanup()
			return "", func() {}, fmt.Errorf("init file %s: %w", user, err)
		}
		script += "source " + abs + "\n"
	}
	init := filepath.Join(dir, "init")
	if err := os.WriteFile(init, []byte(script), 0o600); err != nil {
		cleanup()
		return "", func() {}, err
	}
	return init, cleanup, nil
}

func isTerminal(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}
