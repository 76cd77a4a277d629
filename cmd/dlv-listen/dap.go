package main

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"github.com/go-delve/delve/pkg/logflags"
	"github.com/go-delve/delve/service/rpc2"
	"github.com/spf13/cobra"

	"github.com/dlv-listen/dlv-listen/service/dap"
	"github.com/dlv-listen/dlv-listen/service/listener"
)

// Version check of VS Code Go. Before a dlv-dap session, vscode-go runs
// `go version -m <dlv>` and takes the main module's version (third line,
// fourth field); if node-semver parses it and it is older than v1.8.3 (its
// "latest" dlv) it offers to replace the binary with Delve. A binary
// reporting "(devel)" is left alone (not semver), and so is any v1 version
// from v1.8.3 on. What the go command writes there:
//   - `go build -buildvcs=false ./cmd/dlv-listen` (or GOFLAGS=-buildvcs=false):
//     "(devel)": no prompt.
//   - `go build` in a git clone (Go 1.24+ stamps the version from git): the
//     nearest tag, or v0.0.0-<date>-<commit>[+dirty] without one: a prompt
//     unless the repository carries a release tag v1.8.3 or later.
//   - `go install github.com/dlv-listen/dlv-listen/cmd/dlv-listen@<tag>`: the
//     tag: releases must be tagged v1.8.3 or later (a v1 module: e.g.
//     v1.27.2-based tags, after the Delve they pin).
//
// A binary cannot change that line (-ldflags -X does not reach it, and go
// install takes none), so releases are tagged accordingly; until then, build
// with -buildvcs=false, or set "go.toolsManagement.checkForUpdates": "off".
func newDapCommand(o *options) *cobra.Command {
	var clientAddr string
	cmd := &cobra.Command{
		Use:   "dap",
		Short: "Starts a headless TCP server communicating via Debug Adaptor Protocol (DAP).",
		Long: `Starts a headless TCP server communicating via Debug Adaptor Protocol (DAP).

The server is always headless and requires a DAP client like VS Code to connect and request a binary
to be launched or a process to be attached to. The following modes can be specified via the client's launch config:
- launch + exec   (executes precompiled binary, like 'dlv exec')
- launch + debug  (builds and launches, like 'dlv debug')
- launch + test   (builds and tests, like 'dlv test')
- attach + local  (attaches to a running process, like 'dlv attach')

Besides dlv's attributes, launch and attach take "jobControl" ("listen", the
default: a job-control stop is reported and the program stays stopped;
"report": it also stops the debug session) and "jobControlEvents" (true adds
the custom event dlvListenJobControl).

Program and output binary paths will be interpreted relative to dlv-listen's working directory.

This server does not accept multiple client connections (--accept-multiclient).
Use 'dlv-listen [command] --headless' instead and a DAP client with attach + remote config.

The --client-addr flag is a special flag that makes the server initiate a debug session
by dialing in to the host:port where a DAP client is waiting. This server process
will exit when the debug session ends.`,
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.dap(cmd, args, clientAddr)
		},
	}
	cmd.Flags().StringVar(&clientAddr, "client-addr", "", "Address where the DAP client is waiting for the DAP server to dial in. Prefix with 'unix:' to use a unix domain socket.")
	return cmd
}

// dap serves one DAP client, as `dlv dap` does: it listens (loopback by
// default), prints "DAP server listening at: <addr>" on stdout or on the
// --log-dest file or descriptor, serves the first client and exits when
// it disconnects. With --client-addr it dials the client instead and
// prints nothing.
func (o *options) dap(cmd *cobra.Command, args []string, clientAddr string) error {
	if err := logflags.Setup(o.log, o.logOutput, o.logDest); err != nil {
		fmt.Fprintf(os.Stderr, "%v\n", err)
		return exitError(1)
	}
	defer logflags.Close()
	warn := func(msg string) { fmt.Fprintln(os.Stderr, msg) }
	if f := cmd.Flag("headless"); f != nil && f.Changed {
		warn("Warning: dap mode is always headless")
	}
	if flagValue(cmd, "accept-multiclient", "false") == "true" {
		warn("Warning: accept-multiclient mode not supported with dap")
	}
	if o.initFile != "" {
		warn("Warning: init file ignored with dap")
	}
	if flagValue(cmd, "continue", "false") == "true" {
		warn("Warning: continue ignored with dap; specify via launch/attach request instead")
	}
	if o.buildFlags != "" {
		warn("Warning: build flags ignored with dap; specify via launch/attach request instead")
	}
	if o.workingDir != "" {
		warn("Warning: working directory ignored with dap: specify via launch request instead")
	}
	if len(args) > 0 {
		warn("Warning: debug arguments ignored with dap; specify via launch/attach request instead")
	}

	logger := logflags.DAPLogger()
	srv := dap.NewServer(dap.Config{Log: func(format string, a ...any) {
		if logflags.DAP() {
			logger.Debugf(format, a...)
		}
	}, LogMessages: logflags.DAP()})

	var conn net.Conn
	var l net.Listener
	if clientAddr != "" {
		c, err := listener.Dial(clientAddr)
		if err != nil {
			logflags.WriteError(fmt.Sprintf("error dialing %s: %v", clientAddr, err))
			return exitError(1)
		}
		conn = c
	} else {
		var err error
		addr := flagValue(cmd, "listen", "127.0.0.1:0")
		onlySameUser := flagValue(cmd, "only-same-user", "true") == "true"
		l, err = listener.Listen(addr, onlySameUser, func(format string, a ...any) {
			logflags.WriteError(fmt.Sprintf(format, a...))
		})
		if err != nil {
			fmt.Printf("couldn't start listener: %s\n", err)
			return exitError(1)
		}
		defer l.Close()
		logflags.WriteDAPListeningMessage(l.Addr())
	}

	// SIGINT and SIGTERM end the server as they end dlv dap: the session
	// is let go cleanly (breakpoints removed; a launched program killed).
	var mu sync.Mutex
	stopping := false
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)
	go func() {
		if _, ok := <-sigs; !ok {
			return
		}
		mu.Lock()
		stopping = true
		c := conn
		mu.Unlock()
		if c != nil {
			c.Close()
		}
		if l != nil {
			l.Close()
		}
	}()

	if conn == nil {
		c, err := l.Accept()
		mu.Lock()
		stop := stopping
		conn = c
		mu.Unlock()
		if err != nil {
			if stop {
				return nil
			}
			logflags.WriteError(fmt.Sprintf("Error accepting client connection: %s", err))
			return exitError(1)
		}
		if stop {
			c.Close()
			return nil
		}
	}
	if err := srv.ServeConn(conn, nil); err != nil {
		logger.Errorf("%v", err)
	}
	return nil
}

// flagValue returns the value of a flag of cmd or its parents (the
// server flags --listen, --only-same-user... are the root's, shared with the
// headless server), def if there is none.
func flagValue(cmd *cobra.Command, name, def string) string {
	if f := cmd.Flag(name); f != nil {
		return f.Value.String()
	}
	return def
}

// newSubstitutePathGuessHelperCommand prints what VS Code Go's remote
// attach sends as guessSubstitutePath, as dlv's hidden command does.
func newSubstitutePathGuessHelperCommand() *cobra.Command {
	return &cobra.Command{
		Use:    "substitute-path-guess-helper",
		Hidden: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			gsp, err := rpc2.MakeGuessSusbtitutePathIn()
			if err == nil {
				err = json.NewEncoder(os.Stdout).Encode(gsp)
			}
			if err != nil {
				fmt.Printf("ERROR: %v\n", err)
				return exitError(1)
			}
			return nil
		},
	}
}
