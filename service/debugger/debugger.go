package debugger

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-delve/delve/pkg/goversion"
	"github.com/go-delve/delve/pkg/proc"
	"github.com/go-delve/delve/service/api"
	"golang.org/x/sys/unix"

	"github.com/dlv-listen/dlv-listen/backend"
	"github.com/dlv-listen/dlv-listen/listenmode"
)

// Version is dlv-listen's version as GetVersion reports it.
var Version = "0.1.0"

// Config describes the session around a target group.
type Config struct {
	AttachPid      int      // pid we attached to; 0 when we launched the process
	Executable     string   // path of the debugged executable
	ProcessArgs    []string // argv of a launched process (for locspec's main package guess and Restart messages)
	CheckGoVersion bool
	DebugInfoDirs  []string
	// CoreFile is the core file of a session on one (see Core); "" for a
	// live process.
	CoreFile string
	// FollowExec turns follow-exec on from the start (Attach, Launch):
	// children that exec a program whose command line matches
	// FollowExecRegex ("" = any) become targets of the session.
	FollowExec      bool
	FollowExecRegex string
	// Job makes Attach take the whole process group (job) of the pid:
	// every member that is a Go program, and the children they start.
	Job bool
}

// Debugger is one debugging session over one target group.
type Debugger struct {
	cfg Config
	grp *proc.TargetGroup
	// first is the session's first process (the one attached or
	// launched), nil on a core file (isCore); when its program execs
	// another that follow-exec takes, the process that took over its pid
	// (backend.Process.Successor).
	first atomic.Pointer[backend.Process]
	pid   int

	// targetMu serialises every use of grp, as Delve's targetMutex does.
	// Halt alone reaches grp without it (RequestManualStop).
	targetMu sync.Mutex
	// bpIDCounter is the last logical breakpoint ID handed out (targetMu).
	bpIDCounter int
	// dynamicCalls are the call instructions watched for a trace's
	// --follow-calls (targetMu; see watchDynamicCall).
	dynamicCalls map[uint64]bool

	// runMu guards run: the resuming command in progress, if any.
	runMu sync.Mutex
	run   *run
	// prepared are resuming commands received but not started yet
	// (PrepareResume), oldest first.
	prepared []*run
	// running is true while a resuming command holds targetMu.
	running atomic.Bool
	// halts counts Halt requests; a continue that keeps going over
	// tracepoints stops when it changes.
	halts atomic.Uint64

	noticeMu sync.Mutex
	notice   func(string)
	// noticeSubs are further receivers of notices (AddNoticeFunc).
	noticeSubs map[int]func(string)
	noticeNext int

	goneMu sync.Mutex
	gone   error // why the process is no longer debugged, once it is

	// Static facts about the executable, read once so they can be
	// answered while the target runs.
	producer     string
	buildID      string
	lastModified time.Time
	// selectedPid is the selected target's pid as last seen with
	// targetMu free (ProcessPid).
	selectedPid atomic.Int64

	client *Client

	jobs jobLog // job-control changes, numbered, for network clients

	// dumpState is the core dump in progress or the last one (dump.go).
	dumpState proc.DumpState

	targetEvents targetEvents // OnTargetEvent's receivers (targets.go)
	// materialized are the breakpoints proc materialized in a target it
	// is adding, told once it has (targetMu; flushMaterialized).
	materialized []*proc.LogicalBreakpoint
	procs        processSet // the job control of every process (processes.go)
	announced    announced  // how far their events were told (noticeorder.go)
	gLayouts     gLayouts   // where GetG's fields are, per binary (threadgids.go)

	warnMu   sync.Mutex
	warnings []string // Warnings
}

// run is one resuming command (continue, next, step, call...).
type run struct {
	resumed chan struct{} // closed by the backend once the threads run
	done    chan struct{} // closed when the command returns
}

// New starts a session on grp, a target group built by backend.Attach or
// backend.Launch, or, with cfg.CoreFile set, by Delve's core reader. On
// error grp is left as it was, for the caller to release.
func New(grp *proc.TargetGroup, cfg Config) (*Debugger, error) {
	p, ok := backend.Of(grp)
	if !ok && cfg.CoreFile == "" {
		return nil, errors.New("the target group was not built by dlv-listen's backend (use backend.Attach or backend.Launch)")
	}
	if _, err := grp.Valid(); err != nil {
		return nil, err
	}
	bi := grp.Selected.BinInfo()
	if cfg.CheckGoVersion && bi.Producer() != "" {
		if err := goversion.Compatible(bi.DwarfVersion(), bi.Producer(), false); err != nil {
			return nil, err
		}
	}
	d := &Debugger{
		cfg:          cfg,
		grp:          grp,
		pid:          grp.Selected.Pid(),
		producer:     bi.Producer(),
		lastModified: bi.LastModified(),
	}
	if len(bi.Images) > 0 {
		d.buildID = bi.Images[0].BuildID
	}
	if p != nil {
		d.first.Store(p)
	}
	d.client = &Client{d: d}
	d.jobs.init()
	if d.isCore() {
		d.jobs.end() // no process, no job-control changes
		return d, nil
	}
	d.watchProcesses()
	return d, nil
}

// Client returns the in-process service.Client of the session.
func (d *Debugger) Client() *Client { return d.client }

// Process returns the backend process of the session: its first process
// (see Debugger.first).
func (d *Debugger) Process() *backend.Process { return d.first.Load() }

// SetNoticeFunc sets where one-line notices go (the terminal prints them
// as they come, the DAP server will turn them into output events). Safe to
// call any time; nil = drop.
func (d *Debugger) SetNoticeFunc(fn func(string)) {
	d.noticeMu.Lock()
	d.notice = fn
	d.noticeMu.Unlock()
}

func (d *Debugger) noticef(format string, args ...any) {
	d.noticeMu.Lock()
	fns := make([]func(string), 0, 1+len(d.noticeSubs))
	if d.notice != nil {
		fns = append(fns, d.notice)
	}
	for _, fn := range d.noticeSubs {
		fns = append(fns, fn)
	}
	d.noticeMu.Unlock()
	line := fmt.Sprintf(format, args...)
	for _, fn := range fns {
		fn(line)
	}
}

func (d *Debugger) setGone(err error) {
	d.goneMu.Lock()
	if d.gone == nil {
		d.gone = err
	}
	d.goneMu.Unlock()
}

func (d *Debugger) goneErr() error {
	d.goneMu.Lock()
	defer d.goneMu.Unlock()
	return d.gone
}

// JobState returns a one-line description, e.g. "process 4242 is stopped
// by SIGTSTP (job control)" or "process 4242 is running (no job-control
// stop)"; while the session has several processes, a line for each and
// one for their job.
func (d *Debugger) JobState() string { return d.JobStatus().Text }

// processStateText is the line that says process pid's state st
// (stopping signal sig); gone is why it is no longer debugged, nil while
// it is.
func processStateText(pid int, st listenmode.State, sig unix.Signal, gone error) string {
	if gone != nil {
		var exited proc.ErrProcessExited
		switch {
		case errors.As(gone, &exited):
			return fmt.Sprintf("process %d has exited with status %d", pid, exited.Status)
		case st == listenmode.StateStopped:
			return fmt.Sprintf("process %d is detached; it was left stopped by %s (job control)", pid, signalName(sig))
		default:
			return fmt.Sprintf("process %d is detached", pid)
		}
	}
	switch st {
	case listenmode.StateStopped:
		return fmt.Sprintf("process %d is stopped by %s (job control)", pid, signalName(sig))
	case listenmode.StateRunning:
		return fmt.Sprintf("process %d is running (no job-control stop)", pid)
	}
	return fmt.Sprintf("process %d: its job-control state is not known yet", pid)
}

// Signal sends sig (name like "SIGCONT", "CONT", "cont" or a number) to the
// debuggee with kill(2) and returns a confirmation line, e.g. "sent SIGCONT
// to process 4242". Unknown names -> error naming the input. It needs no
// ptrace and takes no lock: it works while a command runs (SIGCONT is how a
// continue that waits on a job-control stop goes on).
func (d *Debugger) Signal(sig string) (string, error) {
	s, err := parseSignal(sig)
	if err != nil {
		return "", err
	}
	if d.isCore() {
		return "", fmt.Errorf("cannot send %s: %w", signalName(s), d.errNoProcess())
	}
	if gone := d.goneErr(); gone != nil {
		// The pid may belong to another process by now.
		return "", fmt.Errorf("cannot send %s: process %d is no longer debugged (%v)", signalName(s), d.pid, gone)
	}
	// A whole-job session signals the job, as a shell's kill %1 or fg
	// does: every process of the group, debugged or not.
	target, what := d.pid, fmt.Sprintf("process %d", d.pid)
	if d.cfg.Job {
		if pgid := d.jobPgid(); pgid > 0 {
			target, what = -pgid, fmt.Sprintf("job %d", pgid)
		}
	}
	if err := unix.Kill(target, s); err != nil {
		if err == unix.ESRCH {
			return "", fmt.Errorf("send %s to %s: no such process", signalName(s), what)
		}
		return "", fmt.Errorf("send %s to %s: %w", signalName(s), what, err)
	}
	// A SIGCONT to a process we hold is otherwise seen only at the next
	// resume; the probe publishes it now (and its notice).
	d.probeJobState()
	return fmt.Sprintf("sent %s to %s", signalName(s), what), nil
}

// jobPgid is the process group of the first process, as read when it
// joined the session.
func (d *Debugger) jobPgid() int {
	d.procs.mu.Lock()
	defer d.procs.mu.Unlock()
	return d.procs.pgid[d.pid]
}

// probeJobState has the backend re-read the job state of a held process.
// While a command runs the process (targetMu taken), the backend listens
// and learns every change itself, so there is nothing to do.
func (d *Debugger) probeJobState() {
	if d.isCore() || d.goneErr() != nil || !d.targetMu.TryLock() {
		return
	}
	defer d.targetMu.Unlock()
	procs, _ := d.watched()
	for _, w := range procs {
		if ok, _ := w.p.Valid(); ok {
			_ = w.p.ProbeJobState()
		}
	}
}

// maxSignal is the highest signal number on Linux (SIGRTMAX).
const maxSignal = 64

func parseSignal(in string) (unix.Signal, error) {
	s := strings.TrimSpace(in)
	if s == "" {
		return 0, errors.New("no signal given: use a name like SIGCONT or CONT, or a number")
	}
	if n, err := strconv.Atoi(s); err == nil {
		if n < 1 || n > maxSignal {
			return 0, fmt.Errorf("unknown signal %q: signal numbers go from 1 to %d", in, maxSignal)
		}
		return unix.Signal(n), nil
	}
	name := strings.ToUpper(s)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	if n := unix.SignalNum(name); n != 0 {
		return n, nil
	}
	return 0, fmt.Errorf("unknown signal %q: use a name like SIGCONT or CONT, or a number", in)
}

func signalName(sig unix.Signal) string {
	if name := unix.SignalName(sig); name != "" {
		return name
	}
	return fmt.Sprintf("signal %d", int(sig))
}

// stateLocked builds the session state. targetMu held.
func (d *Debugger) stateLocked(retCfg *proc.LoadConfig, withBreakpointInfo bool) (*api.DebuggerState, error) {
	return d.stateOf(retCfg, withBreakpointInfo, stateFull)
}

// stateOf builds the session state with the detail asked. targetMu held.
func (d *Debugger) stateOf(retCfg *proc.LoadConfig, withBreakpointInfo bool, detail stateDetail) (*api.DebuggerState, error) {
	if _, err := d.grp.Valid(); err != nil {
		return nil, err
	}
	tgt := d.grp.Selected
	st := &api.DebuggerState{
		Pid:               tgt.Pid(),
		TargetCommandLine: tgt.CmdLine,
	}
	if g := tgt.SelectedGoroutine(); g != nil {
		if detail == stateBrief {
			st.SelectedGoroutine = briefGoroutine(g)
		} else {
			st.SelectedGoroutine = api.ConvertGoroutine(tgt, g)
		}
	}
	if _, err := tgt.Valid(); err != nil {
		var exited proc.ErrProcessExited
		st.Exited = errors.As(err, &exited)
	}
	cur := tgt.CurrentThread()
	threads := d.grp.ThreadList()
	sort.Slice(threads, func(i, j int) bool { return threads[i].ThreadID() < threads[j].ThreadID() })
	bps := make([]*api.Breakpoint, len(threads))
	for i, th := range threads {
		bps[i] = d.threadBreakpoint(th)
	}
	var aths []*api.Thread
	if detail != stateBrief {
		aths = d.convertThreads(threads, bps)
	}
	for i, th := range threads {
		var ath *api.Thread
		if detail == stateBrief {
			ath = d.convertThreadBrief(th, bps[i], cur)
		} else {
			ath = aths[i]
		}
		ath.CallReturn = th.Common().CallReturn
		if retCfg != nil {
			ath.ReturnValues = api.ConvertVars(th.Common().ReturnValues(*retCfg))
		}
		if withBreakpointInfo {
			if err := d.breakpointInfo(ath, th); err != nil {
				return nil, err
			}
		}
		st.Threads = append(st.Threads, ath)
		if cur != nil && th.ThreadID() == cur.ThreadID() {
			st.CurrentThread = ath
		}
	}
	st.NextInProgress = d.grp.HasSteppingBreakpoints()
	for it := (proc.ValidTargets{Group: d.grp}); it.Next(); {
		for _, bp := range it.Breakpoints().WatchOutOfScope {
			abp := api.ConvertLogicalBreakpoint(bp.Logical)
			api.ConvertPhysicalBreakpoints(abp, bp.Logical, []int{it.Pid()}, []*proc.Breakpoint{bp})
			st.WatchOutOfScope = append(st.WatchOutOfScope, abp)
		}
	}
	if sr := tgt.StopReason; sr != proc.StopUnknown {
		st.StopReason = sr.String()
	}
	return st, nil
}

// breakpointInfo loads what the breakpoint a thread stopped at asks for:
// goroutine, stack, variables, arguments, locals. targetMu held.
func (d *Debugger) breakpointInfo(ath *api.Thread, th proc.Thread) error {
	bp := ath.Breakpoint
	if bp == nil || ath.BreakpointInfo != nil {
		return nil
	}
	info := &api.BreakpointInfo{}
	ath.BreakpointInfo = info
	tgt := d.grp.TargetForThread(th.ThreadID())
	if tgt == nil {
		return nil
	}
	if img := tgt.BinInfo().PCToImage(bp.Addr); img != nil && img.Stripped() {
		return nil
	}
	if bp.Goroutine {
		g, err := proc.GetG(th)
		if err != nil {
			return err
		}
		info.Goroutine = api.ConvertGoroutine(tgt, g)
	}
	if bp.Stacktrace > 0 {
		frames, err := proc.ThreadStacktrace(tgt, th, bp.Stacktrace)
		if err != nil {
			return err
		}
		if info.Stacktrace, err = d.convertFrames(tgt, frames, nil); err != nil {
			return err
		}
	}
	if len(bp.Variables) == 0 && bp.LoadArgs == nil && bp.LoadLocals == nil {
		return nil
	}
	scope, err := proc.GoroutineScope(tgt, th)
	if err != nil {
		var noG proc.ErrNoGoroutine
		if !errors.As(err, &noG) {
			return err
		}
		if scope, err = proc.ThreadScope(tgt, th); err != nil {
			return err
		}
	}
	for _, expr := range bp.Variables {
		v, err := scope.EvalExpression(expr, proc.LoadFullValue())
		if err != nil {
			info.Variables = append(info.Variables, api.Variable{Name: expr, Unreadable: fmt.Sprintf("eval error: %v", err)})
			continue
		}
		info.Variables = append(info.Variables, *api.ConvertVar(v))
	}
	if bp.LoadArgs != nil {
		if args, err := scope.FunctionArguments(*api.LoadConfigToProc(bp.LoadArgs)); err == nil {
			info.Arguments = api.ConvertVars(args)
		}
	}
	if bp.LoadLocals != nil {
		if locals, err := scope.LocalVariables(*api.LoadConfigToProc(bp.LoadLocals)); err == nil {
			info.Locals = api.ConvertVars(locals)
		}
	}
	return nil
}
