package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/go-delve/delve/pkg/config"
	"github.com/go-delve/delve/pkg/terminal"
	"github.com/go-delve/delve/service/api"

	"github.com/dlv-listen/dlv-listen/service/debugger"
)

// errNoTracepoints is stock dlv's answer when no tracepoint could be set.
var errNoTracepoints = errors.New("no breakpoints set")

// traceSession starts the session on tt, sets the tracepoints of expr and
// runs Delve's terminal `continue` in trace mode until the process ends or
// the user interrupts it, as dlv's trace does. Everything it prints goes
// to stderr, the program's own output to stdout.
func (o *options) traceSession(tt traceTarget, expr string, f *traceFlags) error {
	d, err := o.traceStart(tt)
	if err != nil {
		fmt.Fprintf(os.Stderr, "dlv-listen: %v\n", err)
		return exitError(1)
	}
	launched := d.Launched()
	out := io.Writer(os.Stderr)
	// Job-control changes are part of the trace: a stopped process is
	// traced no further until SIGCONT, and the trace says why.
	d.SetNoticeFunc(func(s string) { traceLine(out, f.timestamp, s) })
	closeSession := func() {
		if err := d.Close(launched); err != nil {
			fmt.Fprintf(os.Stderr, "dlv-listen: %v\n", err)
		}
	}
	defer closeSession()

	client := d.Client()
	ended := o.traceSignals(d)
	defer ended.stop()

	if err := setTracepoints(client, expr, f); err != nil {
		if errors.Is(err, errNoTracepoints) {
			// dlv's message first, as scripts may look for it.
			fmt.Fprintln(os.Stderr, err)
		} else {
			fmt.Fprintf(os.Stderr, "dlv-listen: %v\n", err)
		}
		return exitError(1)
	}

	term := terminal.New(client, &config.Config{TraceShowTimestamp: f.timestamp}, false)
	term.SetTraceNonInteractive()
	term.TraceVerbosity = f.verbose
	term.RedirectTo(out)
	defer term.Close()
	err = terminal.DebugCommands(client).Call("continue", term)
	if sig, ok := ended.signal().(syscall.Signal); ok && sig != syscall.SIGINT {
		// Ended from outside: let the process go now, and end as the
		// signal would have ended us.
		closeSession()
		return exitError(128 + int(sig))
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		if !strings.Contains(err.Error(), "exited") {
			return exitError(1)
		}
	}
	return nil
}

// traceEnd is how a trace is ended from outside: Ctrl-C (SIGINT), SIGTERM
// or SIGHUP.
type traceEnd struct {
	sigs chan os.Signal
	mu   sync.Mutex
	got  os.Signal
}

// traceSignals makes SIGINT, SIGTERM and SIGHUP halt the trace: the
// continue returns and the session is closed with no command in flight,
// so the process is let go as dlv's trace lets it go on Ctrl-C (an
// attached one detached with no breakpoint left, in its job state; a
// launched one killed). The session's own release on SIGTERM and SIGHUP,
// which works even in the middle of a command, is kept for a second
// signal, should the halt not come back.
func (o *options) traceSignals(d *debugger.Debugger) *traceEnd {
	e := &traceEnd{sigs: make(chan os.Signal, 1)}
	d.SetReleaseSignals()
	signal.Notify(e.sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		for sig := range e.sigs {
			e.mu.Lock()
			prev := e.got
			if prev == nil || prev == syscall.SIGINT {
				e.got = sig
			}
			e.mu.Unlock()
			if prev != nil && sig != syscall.SIGINT {
				signal.Stop(e.sigs)
				d.SetReleaseSignals(sig)
				_ = syscall.Kill(os.Getpid(), sig.(syscall.Signal))
				return
			}
			_, _ = d.Client().Halt()
		}
	}()
	return e
}

func (e *traceEnd) signal() os.Signal {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.got
}

func (e *traceEnd) stop() { signal.Stop(e.sigs) }

// traceStart attaches to tt.pid or launches tt.argv.
func (o *options) traceStart(tt traceTarget) (*debugger.Debugger, error) {
	if tt.pid != 0 {
		return debugger.Attach(tt.pid, o.debuggerConfig(""))
	}
	lc, err := o.launchConfig()
	if err != nil {
		return nil, err
	}
	return debugger.Launch(tt.argv, lc, o.debuggerConfig(""))
}

// traceLine prints one line of the trace stream, after a timestamp in the
// terminal's format when asked.
func traceLine(w io.Writer, timestamp bool, s string) {
	if timestamp {
		s = time.Now().Format(time.RFC3339Nano) + " " + s
	}
	fmt.Fprintln(w, s)
}

// setTracepoints sets, as dlv's trace does, a tracepoint at the entry of
// every function matching expr (and, with --follow-calls, of the functions
// they call) and one at each of its returns. Functions that cannot be
// traced are reported and skipped; errNoTracepoints if none could be.
func setTracepoints(c *debugger.Client, expr string, f *traceFlags) error {
	funcs, err := c.ListFunctions(expr, f.followCalls)
	if err != nil {
		return err
	}
	stack := f.stack
	if f.followCalls > 0 && stack == 0 {
		// The depth of a call is read from its stack.
		stack = 20
	}
	load := traceLoadConfig(f.verbose)
	tracepoint := func(fn string, bp api.Breakpoint) bool {
		bp.Line, bp.Stacktrace, bp.LoadArgs = -1, stack, &load
		bp.TraceFollowCalls, bp.RootFuncName = f.followCalls, expr
		_, err := c.CreateBreakpoint(&bp)
		if err != nil && !strings.Contains(err.Error(), "Breakpoint exists") {
			fmt.Fprintf(os.Stderr, "unable to set tracepoint on function %s: %v\n", fn, err)
			return false
		}
		return true
	}
	set := false
	for _, fn := range funcs {
		if !tracepoint(fn, api.Breakpoint{FunctionName: fn, Tracepoint: true}) {
			continue
		}
		set = true
		addrs, err := c.FunctionReturnLocations(fn)
		if err != nil {
			fmt.Fprintf(os.Stderr, "unable to set tracepoint on function %s: %v\n", fn, err)
			continue
		}
		for _, addr := range addrs {
			tracepoint(fn, api.Breakpoint{Addr: addr, TraceReturn: true})
		}
	}
	if len(funcs) == 0 {
		return fmt.Errorf("%w: no function matches the regexp %q", errNoTracepoints, expr)
	}
	if !set {
		return errNoTracepoints
	}
	return nil
}

// traceLoadConfig is how much of each argument and return value the trace
// loads at verbosity v (dlv's --verbose levels: 0 values, 1 types, 2
// inline, 3 expanded, 4 full).
func traceLoadConfig(v int) api.LoadConfig {
	switch v {
	case 0:
		return terminal.ShortLoadConfig
	case 1:
		return api.LoadConfig{MaxStringLen: 32}
	case 2:
		return api.LoadConfig{MaxVariableRecurse: 1, MaxStringLen: 64, MaxArrayValues: 5, MaxStructFields: 3}
	case 3:
		return api.LoadConfig{MaxVariableRecurse: 2, MaxStringLen: 128, MaxArrayValues: 10, MaxStructFields: 10}
	case 4:
		return api.LoadConfig{FollowPointers: true, MaxVariableRecurse: 3, MaxStringLen: 256, MaxArrayValues: 100, MaxStructFields: -1}
	}
	return api.LoadConfig{}
}
