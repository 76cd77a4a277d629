package dap

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/go-delve/delve/pkg/gobuild"
	"github.com/go-delve/delve/pkg/proc"
	"github.com/google/go-dap"
	"golang.org/x/sys/unix"

	"github.com/dlv-listen/dlv-listen/service/debugger"
)

func (ss *session) onInitialize(r *dap.InitializeRequest) {
	a := r.Arguments
	ss.mu.Lock()
	ss.caps = clientCaps{
		supportsVariableType:         a.SupportsVariableType,
		supportsVariablePaging:       a.SupportsVariablePaging,
		supportsRunInTerminalRequest: a.SupportsRunInTerminalRequest,
		supportsMemoryReferences:     a.SupportsMemoryReferences,
		supportsInvalidatedEvent:     a.SupportsInvalidatedEvent,
	}
	ss.mu.Unlock()
	if a.PathFormat != "path" {
		ss.sendError(r.Request, FailedToInitialize, "Failed to initialize", fmt.Sprintf("Unsupported 'pathFormat' value '%s'.", a.PathFormat))
		return
	}
	if !a.LinesStartAt1 {
		ss.sendError(r.Request, FailedToInitialize, "Failed to initialize", "Only 1-based line numbers are supported.")
		return
	}
	if !a.ColumnsStartAt1 {
		ss.sendError(r.Request, FailedToInitialize, "Failed to initialize", "Only 1-based column numbers are supported.")
		return
	}
	resp := &dap.InitializeResponse{Response: *ss.newResponse(r.Request)}
	resp.Body = capabilities()
	ss.send(resp)
}

// capabilities are dlv's (v1.27.2) initialize answer: the same set, so an
// editor drives dlv-listen exactly as it drives dlv. Requests dlv answers
// without advertising them (terminate, setExpression, loadedSources,
// modules) work here too but stay unadvertised, so editors do not change
// their behaviour.
func capabilities() dap.Capabilities {
	c := dap.Capabilities{
		SupportsConfigurationDoneRequest:  true,
		SupportsConditionalBreakpoints:    true,
		SupportsHitConditionalBreakpoints: true,
		SupportsDelayedStackTraceLoading:  true,
		SupportsFunctionBreakpoints:       true,
		SupportsInstructionBreakpoints:    true,
		SupportsExceptionInfoRequest:      true,
		SupportsSetVariable:               true,
		SupportsEvaluateForHovers:         true,
		SupportsClipboardContext:          true,
		SupportsSteppingGranularity:       true,
		SupportsLogPoints:                 true,
		SupportsDisassembleRequest:        true,
		SupportsRestartRequest:            true,
		SupportsReadMemoryRequest:         true,
		SupportsWriteMemoryRequest:        true,
		ExceptionBreakpointFilters: []dap.ExceptionBreakpointsFilter{
			{Filter: proc.UnrecoveredPanic, Label: "Unrecovered Panics", Default: true},
			{Filter: proc.FatalThrow, Label: "Fatal Throws", Default: true},
		},
	}
	switch runtime.GOARCH {
	case "amd64", "arm64":
		c.SupportsDataBreakpoints = true
	}
	return c
}

func (ss *session) address() string {
	return ss.conn.LocalAddr().String()
}

func (ss *session) onLaunch(r *dap.LaunchRequest) {
	if d, _ := ss.debugger(); d != nil {
		ss.sendShowUserError(r.Request, FailedToLaunch, "Failed to launch",
			fmt.Sprintf("debug session already in progress at %s - use remote attach mode to connect to a server with an active debug session", ss.address()))
		return
	}
	args := launchConfig{Mode: "debug", commonConfig: defaultCommon()}
	if err := unmarshalArgs(r.Arguments, &args); err != nil {
		ss.sendShowUserError(r.Request, FailedToLaunch, "Failed to launch", fmt.Sprintf("invalid debug configuration - %v", err))
		return
	}
	fail := func(format string, a ...any) {
		ss.sendShowUserError(r.Request, FailedToLaunch, "Failed to launch", fmt.Sprintf(format, a...))
	}
	if args.DlvCwd != "" {
		if err := os.Chdir(args.DlvCwd); err != nil {
			fail("failed to chdir to %q - %v", args.DlvCwd, err)
			return
		}
	}
	for k, v := range args.Env {
		var err error
		if v != nil {
			if err = os.Setenv(k, *v); err != nil {
				fail("failed to setenv(%v) - %v", k, err)
				return
			}
		} else if err = os.Unsetenv(k); err != nil {
			fail("failed to unsetenv(%v) - %v", k, err)
			return
		}
	}
	if args.Mode == "" {
		args.Mode = "debug"
	}
	switch args.Mode {
	case "debug", "test", "exec", "core":
	case "replay":
		fail("invalid debug configuration - 'mode' %q is not supported by dlv-listen: it has no rr backend", args.Mode)
		return
	default:
		fail("invalid debug configuration - unsupported 'mode' attribute %q", args.Mode)
		return
	}
	if args.Program == "" {
		fail("The program attribute is missing in debug configuration.")
		return
	}
	if err := ss.args.apply(args.commonConfig); err != nil {
		fail("invalid debug configuration - %v", err)
		return
	}
	if args.Mode == "core" {
		ss.launchCore(r, args)
		return
	}

	bin := args.Program
	what := ""
	if args.Mode == "debug" || args.Mode == "test" {
		deleteOnError := args.Output == ""
		if args.Output == "" {
			args.Output = gobuild.DefaultDebugBinaryPath("__debug_bin")
		}
		out, err := filepath.Abs(args.Output)
		if err != nil {
			fail("%v", err)
			return
		}
		test := args.Mode == "test"
		what = " " + args.Program
		if test {
			what = " tests of " + args.Program
			ss.output("stdout", fmt.Sprintf("Building tests of %s\n", args.Program))
		} else {
			ss.output("stdout", fmt.Sprintf("Building %s\n", args.Program))
		}
		if err := debugger.Build(args.Program, out, test, args.BuildFlags.String(), ""); err != nil {
			if deleteOnError {
				gobuild.Remove(out)
			}
			ss.output("stderr", fmt.Sprintf("Build Error: %v\n", err))
			// dlv's wording: editors point the user to the debug console.
			ss.sendError(r.Request, FailedToLaunch, "Failed to launch", "Build error: Check the debug console for details.")
			return
		}
		ss.mu.Lock()
		ss.binToRemove = out
		ss.mu.Unlock()
		bin = out
	}

	if args.Cwd == "" {
		args.Cwd = "."
		if args.Mode == "test" {
			// As `go test` and `dlv test`: run in the package directory.
			args.Cwd = packageDir(args.Program)
		}
	}

	remoteOut := false
	switch args.OutputMode {
	case "remote":
		remoteOut = true
	case "local", "":
	default:
		fail("invalid debug configuration - unsupported 'outputMode' attribute %q", args.OutputMode)
		return
	}
	if remoteOut && (args.StdoutTo != "" || args.StderrTo != "") {
		fail("output == \"remote\" can not be used together with stdoutTo or stderrTo")
		return
	}

	if args.NoDebug {
		ss.launchNoDebug(r, bin, args, remoteOut, what)
		return
	}

	lc := debugger.LaunchConfig{
		WorkingDir: args.Cwd,
		Redirects:  [3]string{args.StdinFrom, args.StdoutTo, args.StderrTo},
		// A program launched from a terminal (vscode's integratedTerminal
		// runs `dlv-listen dap --client-addr` in one) owns it, so Ctrl-Z
		// and Ctrl-C typed there reach it as in a shell. We never read the
		// terminal ourselves, so it can keep it for the whole session.
		Foreground: args.StdinFrom == "" && isTerminal(os.Stdin),
	}
	var readers []io.ReadCloser
	if remoteOut {
		for i := range 2 {
			rd, redirect, err := proc.Redirector()
			if err != nil {
				ss.sendShowUserError(r.Request, InternalError, "Internal Error", fmt.Sprintf("failed to generate stdio pipes - %v", err))
				closeAll(readers)
				return
			}
			readers = append(readers, rd)
			if i == 0 {
				lc.Stdout = redirect
			} else {
				lc.Stderr = redirect
			}
		}
		ss.forwardOutput(readers[0], "stdout")
		ss.forwardOutput(readers[1], "stderr")
	}
	argv := append([]string{bin}, args.Args...)
	d, err := debugger.Launch(argv, lc, debugger.Config{CheckGoVersion: true, FollowExec: args.FollowExec, FollowExecRegex: args.FollowExecRegex})
	if err != nil {
		closeAll(readers)
		ss.removeBinary()
		ss.sendShowUserError(r.Request, FailedToLaunch, "Failed to launch"+what, err.Error())
		return
	}
	ss.start(d)
	ss.send(&dap.ProcessEvent{Event: *ss.newEvent("process"), Body: dap.ProcessEventBody{
		Name:            strings.Join(argv, " "),
		SystemProcessId: d.Client().FirstPid(),
		IsLocalProcess:  true,
		StartMethod:     "launch",
	}})
	ss.send(&dap.InitializedEvent{Event: *ss.newEvent("initialized")})
	ss.send(&dap.LaunchResponse{Response: *ss.newResponse(r.Request)})
	ss.warnAboutTrimpath()
}

// launchCore opens a core file, as dlv's launch mode "core" does: the
// session is the core's, and the editor is told of a process (the one
// that was dumped), as for a launch. Continuing it answers, as dlv does,
// with a stop whose text says a core cannot run.
func (ss *session) launchCore(r *dap.LaunchRequest, args launchConfig) {
	if args.CoreFilePath == "" {
		ss.sendShowUserError(r.Request, FailedToLaunch, "Failed to launch",
			"The 'coreFilePath' attribute is missing in debug configuration.")
		return
	}
	d, err := debugger.Core(args.Program, args.CoreFilePath, debugger.Config{CheckGoVersion: true})
	if err != nil {
		ss.sendShowUserError(r.Request, FailedToLaunch, "Failed to launch core file "+args.CoreFilePath, err.Error())
		return
	}
	ss.start(d)
	ss.send(&dap.ProcessEvent{Event: *ss.newEvent("process"), Body: dap.ProcessEventBody{
		Name:            d.CmdLine(),
		SystemProcessId: d.Client().FirstPid(),
		IsLocalProcess:  true,
		StartMethod:     "launch",
	}})
	ss.send(&dap.InitializedEvent{Event: *ss.newEvent("initialized")})
	ss.send(&dap.LaunchResponse{Response: *ss.newResponse(r.Request)})
	ss.warnAboutTrimpath()
}

func closeAll(rs []io.ReadCloser) {
	for _, r := range rs {
		r.Close()
	}
}

// forwardOutput sends what the program writes to rd as output events.
func (ss *session) forwardOutput(rd io.ReadCloser, category string) {
	ss.outputWG.Add(1)
	go func() {
		defer ss.outputWG.Done()
		defer rd.Close()
		var buf [4096]byte
		for {
			n, err := rd.Read(buf[:])
			if n > 0 {
				ss.output(category, string(buf[:n]))
			}
			if err != nil {
				return
			}
		}
	}()
}

func packageDir(pkg string) string {
	out, err := exec.Command("go", "list", "-f", "{{.Dir}}", pkg).Output()
	if err != nil {
		return "."
	}
	return string(bytes.TrimSpace(out))
}

func isTerminal(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

func (ss *session) removeBinary() {
	ss.mu.Lock()
	bin := ss.binToRemove
	ss.binToRemove = ""
	ss.mu.Unlock()
	if bin != "" {
		gobuild.Remove(bin)
	}
}

// start makes d the session's debugger and starts forwarding its
// job-control notices and events.
func (ss *session) start(d *debugger.Debugger) {
	ss.mu.Lock()
	ss.d, ss.c = d, d.Client()
	ss.mu.Unlock()
	ss.watch(d)
}

// watch starts forwarding d's job-control notices and events and its
// process and breakpoint events.
func (ss *session) watch(d *debugger.Debugger) {
	ss.threadIDs.init(d.Client().FirstPid())
	ss.watchTargets(d)
	ss.watchJobControl(d)
}

func (ss *session) warnAboutTrimpath() {
	d, _ := ss.debugger()
	if imgs := d.Images(); len(imgs) > 0 && imgs[0].Trimpath {
		ss.send(&dap.OutputEvent{Event: *ss.newEvent("output"), Body: dap.OutputEventBody{
			Category: "important", Output: "Warning: debugging executable built with trimpath"}})
	}
}

func (ss *session) onAttach(r *dap.AttachRequest) {
	args := attachConfig{Mode: "local", commonConfig: defaultCommon()}
	if err := unmarshalArgs(r.Arguments, &args); err != nil {
		ss.sendShowUserError(r.Request, FailedToAttach, "Failed to attach", fmt.Sprintf("invalid debug configuration - %v", err))
		return
	}
	fail := func(format string, a ...any) {
		ss.sendShowUserError(r.Request, FailedToAttach, "Failed to attach", fmt.Sprintf(format, a...))
	}
	if err := ss.args.apply(args.commonConfig); err != nil {
		fail("invalid debug configuration - %v", err)
		return
	}
	switch args.Mode {
	case "", "local":
		if d, _ := ss.debugger(); d != nil {
			fail("debug session already in progress at %s - use remote mode to connect to a server with an active debug session", ss.address())
			return
		}
		switch {
		case args.AttachWaitFor != "" && args.ProcessID != 0:
			fail("'processId' and 'waitFor' are mutually exclusive, and can't be specified at the same time")
			return
		case args.AttachWaitFor != "":
			pid, err := waitFor(args.AttachWaitFor, ss.closed)
			if err != nil {
				fail("%v", err)
				return
			}
			args.ProcessID = pid
		case args.ProcessID == 0:
			fail("The 'processId' or 'waitFor' attribute is missing in debug configuration")
			return
		}
		d, err := debugger.Attach(args.ProcessID, debugger.Config{CheckGoVersion: true, FollowExec: args.FollowExec, FollowExecRegex: args.FollowExecRegex, Job: args.Job})
		if err != nil {
			if !args.Job && (errors.Is(err, unix.ESRCH) || strings.Contains(err.Error(), "no such process")) {
				// dlv's words, which editors show.
				fail("could not attach to pid %d: no such process", args.ProcessID)
				return
			}
			fail("%v", err)
			return
		}
		ss.start(d)
		for _, w := range d.Warnings() {
			ss.output("important", w+"\n")
		}
		if args.Job {
			ss.announceMembers(d)
		}
		ss.send(&dap.CapabilitiesEvent{Event: *ss.newEvent("capabilities"), Body: dap.CapabilitiesEventBody{Capabilities: dap.Capabilities{SupportTerminateDebuggee: true}}})
	case "remote":
		d, _ := ss.debugger()
		if d == nil {
			fail("no debugger found")
			return
		}
		if args.Job {
			fail("'job' needs mode \"local\": a remote session already has its processes")
			return
		}
		ss.changeStateMu.Lock()
		_, err := ss.halt()
		ss.changeStateMu.Unlock()
		if err != nil {
			fail("%v", err)
			return
		}
		if args.FollowExec {
			if err := d.FollowExec(true, args.FollowExecRegex); err != nil {
				fail("%v", err)
				return
			}
		}
		ss.watch(d)
		if ss.srv.cfg.AcceptMulti || !d.Launched() {
			ss.send(&dap.CapabilitiesEvent{Event: *ss.newEvent("capabilities"), Body: dap.CapabilitiesEventBody{Capabilities: dap.Capabilities{SupportTerminateDebuggee: true}}})
		}
	default:
		fail("invalid debug configuration - unsupported 'mode' attribute %q", args.Mode)
		return
	}
	ss.send(&dap.InitializedEvent{Event: *ss.newEvent("initialized")})
	ss.send(&dap.AttachResponse{Response: *ss.newResponse(r.Request)})
	ss.warnAboutTrimpath()
}

// waitFor polls /proc for a process whose name begins with prefix, as
// dlv's --waitfor does (every second), until the connection closes.
func waitFor(prefix string, closed <-chan struct{}) (int, error) {
	for {
		if pid := findProcess(prefix); pid > 0 {
			return pid, nil
		}
		select {
		case <-closed:
			return 0, errors.New("waitfor: the client went away")
		case <-time.After(time.Second):
		}
	}
}

func findProcess(prefix string) int {
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		var pid int
		if _, err := fmt.Sscanf(e.Name(), "%d", &pid); err != nil || pid == os.Getpid() {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		if name, _, _ := bytes.Cut(cmdline, []byte{0}); strings.HasPrefix(string(name), prefix) {
			return pid
		}
	}
	return 0
}

func (ss *session) onConfigurationDone(r *dap.ConfigurationDoneRequest) {
	d, _ := ss.debugger()
	if ss.args.stopOnEntry {
		ss.markStopped(false)
		ss.send(&dap.StoppedEvent{Event: *ss.newEvent("stopped"), Body: dap.StoppedEventBody{Reason: "entry", ThreadId: 1, AllThreadsStopped: true}})
	}
	d.KeepSteppingBreakpoints()
	ss.logToConsole("Type 'dlv help' for list of commands.")
	ss.send(&dap.ConfigurationDoneResponse{Response: *ss.newResponse(r.Request)})
	if !ss.args.stopOnEntry {
		ss.startRun(cmdContinue)
	}
}

func (ss *session) onDisconnect(r *dap.DisconnectRequest) {
	ss.mu.Lock()
	d, existing, nd := ss.d, ss.existing, ss.noDebug
	ss.mu.Unlock()
	var err error
	switch {
	case d != nil && existing && ss.srv.cfg.AcceptMulti && (r.Arguments == nil || !r.Arguments.TerminateDebuggee):
		// A multi-client headless server keeps its session for the next
		// client, in whatever state it is.
		status := "halted"
		if ss.runningCmd.Load() {
			status = "running"
		}
		ss.mu.Lock()
		ss.ended = true
		ss.mu.Unlock()
		ss.logToConsole(fmt.Sprintf("Closing client session, but leaving multi-client DAP server at %s with debuggee %s", ss.address(), status))
		ss.send(&dap.DisconnectResponse{Response: *ss.newResponse(r.Request)})
		ss.send(&dap.TerminatedEvent{Event: *ss.newEvent("terminated")})
		return
	case d != nil:
		kill := d.Launched() || (r.Arguments != nil && r.Arguments.TerminateDebuggee)
		if r.Arguments != nil && r.Arguments.SuspendDebuggee && !kill {
			ss.logToConsole("suspendDebuggee: the process is detached as it is; dlv-listen does not stop it (a job-control stop it is in is kept)")
		}
		err = ss.endSession(kill)
	case nd != nil:
		nd.stop()
	}
	if err != nil {
		ss.sendError(r.Request, DisconnectError, "Error while disconnecting", err.Error())
	} else {
		ss.send(&dap.DisconnectResponse{Response: *ss.newResponse(r.Request)})
	}
	ss.outputWG.Wait()
	ss.send(&dap.TerminatedEvent{Event: *ss.newEvent("terminated")})
}

// endSession halts what runs, then detaches (every breakpoint removed,
// job-control state kept) or kills. It runs once.
func (ss *session) endSession(kill bool) error {
	ss.changeStateMu.Lock()
	defer ss.changeStateMu.Unlock()
	ss.mu.Lock()
	d, ended := ss.d, ss.ended
	ss.ended = true
	ss.mu.Unlock()
	if d == nil || ended {
		return nil
	}
	ss.haltRequested.Store(true)
	if gone := d.Gone(); gone != nil {
		ss.logToConsole(gone.Error())
		ss.logToConsole("Detaching")
	} else if kill {
		ss.logToConsole("Detaching and terminating target process")
	} else {
		ss.logToConsole("Detaching without terminating target process")
	}
	err := d.Close(kill)
	var exited proc.ErrProcessExited
	if errors.As(err, &exited) {
		err = nil
	}
	ss.stopWatching()
	return err
}

// onTerminate ends the debuggee: a launched program is killed, an attached
// one is detached as it is (DAP's terminate asks the debuggee to end
// itself; dlv-listen never signals a program behind the user's back). The
// exited and terminated events follow.
func (ss *session) onTerminate(r *dap.TerminateRequest) {
	d, _ := ss.debugger()
	if d == nil {
		ss.sendShowUserError(r.Request, NoDebugIsRunning, "No debug session started", "Use launch or attach request first.")
		return
	}
	if err := ss.endSession(d.Launched()); err != nil {
		ss.sendError(r.Request, DisconnectError, "Error while terminating", err.Error())
		return
	}
	ss.send(&dap.TerminateResponse{Response: *ss.newResponse(r.Request)})
	ss.outputWG.Wait()
	ss.send(&dap.TerminatedEvent{Event: *ss.newEvent("terminated")})
}

// onRestart answers honestly: dlv-listen cannot restart a session (its
// backend has no restart); the client can stop and launch again.
func (ss *session) onRestart(r *dap.RestartRequest) {
	ss.send(&dap.RestartResponse{Response: *ss.newResponse(r.Request)})
	d, c := ss.debugger()
	if d == nil {
		ss.sendError(r.Request, FailedToLaunch, "Cannot restart: debugger is not running", "Debugger is not running")
		return
	}
	if !d.Launched() {
		ss.sendError(r.Request, FailedToLaunch, "Cannot restart", "cannot restart process Delve did not create")
		return
	}
	_, err := c.Restart(false)
	ss.sendError(r.Request, FailedToLaunch, "Failed to restart", fmt.Sprintf("%v; stop the session and start it again", err))
}

// noDebugProcess is a program run without debugging (launch noDebug).
type noDebugProcess struct {
	cmd    *exec.Cmd
	exited chan struct{}
	once   sync.Once
	ss     *session
}

func (p *noDebugProcess) stop() {
	select {
	case <-p.exited:
		return
	default:
	}
	p.once.Do(func() {
		p.ss.logToConsole(fmt.Sprintf("Terminating process %d", p.cmd.Process.Pid))
		_ = p.cmd.Process.Kill()
	})
	select {
	case <-p.exited:
	case <-time.After(5 * time.Second):
	}
}

func (ss *session) launchNoDebug(r *dap.LaunchRequest, bin string, args launchConfig, remoteOut bool, what string) {
	cmd := exec.Command(bin, args.Args...)
	cmd.Dir = args.Cwd
	cmd.Stdin = os.Stdin
	var toClose []*os.File
	defer func() {
		for _, f := range toClose {
			f.Close()
		}
	}()
	fail := func(err error) {
		ss.removeBinary()
		ss.sendShowUserError(r.Request, FailedToLaunch, "Failed to launch"+what, err.Error())
	}
	if args.StdinFrom != "" {
		f, err := os.Open(args.StdinFrom)
		if err != nil {
			fail(fmt.Errorf("could not open stdin file: %v", err))
			return
		}
		toClose = append(toClose, f)
		cmd.Stdin = f
	}
	var readers []io.ReadCloser
	if remoteOut {
		so, err1 := cmd.StdoutPipe()
		se, err2 := cmd.StderrPipe()
		if err := errors.Join(err1, err2); err != nil {
			fail(err)
			return
		}
		readers = []io.ReadCloser{so, se}
	} else {
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		for i, path := range []string{args.StdoutTo, args.StderrTo} {
			if path == "" {
				continue
			}
			f, err := os.Create(path)
			if err != nil {
				fail(fmt.Errorf("could not create %s file: %v", []string{"stdout", "stderr"}[i], err))
				return
			}
			toClose = append(toClose, f)
			if i == 0 {
				cmd.Stdout = f
			} else {
				cmd.Stderr = f
			}
		}
	}
	if err := cmd.Start(); err != nil {
		fail(err)
		return
	}
	nd := &noDebugProcess{cmd: cmd, exited: make(chan struct{}), ss: ss}
	ss.mu.Lock()
	ss.noDebug = nd
	ss.mu.Unlock()
	// No initialized event: the client sends no debugging requests.
	ss.send(&dap.LaunchResponse{Response: *ss.newResponse(r.Request)})
	if remoteOut {
		ss.forwardOutput(readers[0], "stdout")
		ss.forwardOutput(readers[1], "stderr")
	}
	go func() {
		// The pipes must be read to the end before Wait closes them.
		ss.outputWG.Wait()
		_ = cmd.Wait()
		close(nd.exited)
		code := cmd.ProcessState.ExitCode()
		ss.logToConsole(proc.ErrProcessExited{Pid: cmd.ProcessState.Pid(), Status: code}.Error())
		ss.send(&dap.ExitedEvent{Event: *ss.newEvent("exited"), Body: dap.ExitedEventBody{ExitCode: code}})
		ss.send(&dap.TerminatedEvent{Event: *ss.newEvent("terminated")})
	}()
}
