package backend

import (
	"bytes"
	"debug/elf"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/go-delve/delve/pkg/proc"
	"github.com/go-delve/delve/pkg/proc/linutil"
	"github.com/go-delve/delve/pkg/proc/native"
	"golang.org/x/sys/unix"

	"github.com/dlv-listen/dlv-listen/internal/hugeheap"
	"github.com/dlv-listen/dlv-listen/listenmode"
)

// Attach seizes every thread of process pid and loads its debug
// information. It has the signature of Delve's native.Attach, so code
// written for native switches by changing the import.
//
// The program is not stopped while the debug information loads (the slow
// part): the threads are seized without PTRACE_INTERRUPT and keep running,
// and only the first operation that needs a stopped thread halts them all
// (see the package documentation). When Attach returns, every thread is
// held, as with native.
//
// Attach never changes the process's job-control state: a stopped process
// is still stopped afterwards, a running one was only halted with
// PTRACE_INTERRUPT and is held for the debugger. On error the process is
// left as it was.
func Attach(pid int, waitFor *proc.WaitFor, debugInfoDirs []string) (*proc.TargetGroup, error) {
	if waitFor.Valid() {
		var err error
		if pid, err = native.WaitFor(waitFor); err != nil {
			return nil, err
		}
	}
	if err := checkAttachable(pid); err != nil {
		return nil, err
	}
	if err := checkDebugInfo(pid, debugInfoDirs); err != nil {
		return nil, err
	}
	p := newProcess(pid)
	if err := p.seize(); err != nil {
		return nil, err
	}
	p.startReleaseOnSignals()
	p.startFreeRun()
	grp, err := p.initialize(fmt.Sprintf("/proc/%d/exe", pid), debugInfoDirs, proc.StopAttached)
	if err == nil && p.bi.DwarfVersion() == 0 {
		// A separate debug file was named but not found.
		err = &proc.ErrBadBinaryInfo{Err: errors.New("no DWARF found")}
	}
	if err = p.loaded(err); err != nil {
		_ = p.detachOrKill(false)
		if _, gone := err.(proc.ErrProcessExited); gone {
			return nil, fmt.Errorf("attach to process %d: it exited while its debug information was loading: %w", pid, err)
		}
		return nil, fmt.Errorf("attach to process %d: %w", pid, explainLoadError(pid, err))
	}
	return grp, nil
}

// seize seizes every thread of a process being attached, or lets it go as
// it was.
func (p *Process) seize() error {
	var err error
	p.tr.do(func() { err = p.seizeAll() })
	if err != nil {
		p.abandon()
	}
	return err
}

// abandon lets go of a process that never became a target: nothing was
// planted in it.
func (p *Process) abandon() {
	p.tr.do(func() { _ = p.detachOnTracer() })
	p.detached.Store(true)
	p.finish()
}

// loaded checks a process attached running once its debug information
// loaded (err is the load's): it is stopped, and still there.
func (p *Process) loaded(err error) error {
	if err == nil {
		// becomeTarget has stopped it already; this only makes sure of it.
		err = p.stopFreeRun()
	}
	if err == nil && p.exited.Load() {
		// It ended while the debug information loaded (proc ignores the
		// errors of GetG and of its first breakpoints).
		err = proc.ErrProcessExited{Pid: p.pid, Status: p.exitStatus}
	}
	return err
}

// checkAttachable refuses, with the reason, what PTRACE_SEIZE would refuse
// or what must not be debugged, before anything touches the process.
func checkAttachable(pid int) error {
	if pid <= 0 {
		return fmt.Errorf("attach to pid %d: not a valid process id (it must be a positive number)", pid)
	}
	if pid == os.Getpid() {
		return fmt.Errorf("attach to process %d: that is this debugger itself", pid)
	}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("attach to process %d: no such process", pid)
		}
		return fmt.Errorf("attach to process %d: %w", pid, err)
	}
	fields := statusFields(status)
	if tgid, _ := strconv.Atoi(fields["Tgid"]); tgid != 0 && tgid != pid {
		if tgid == os.Getpid() {
			return fmt.Errorf("attach to process %d: that is a thread of this debugger itself", pid)
		}
		return fmt.Errorf("attach to process %d: %d is a thread of process %d; attach to %d", pid, pid, tgid, tgid)
	}
	if strings.HasPrefix(fields["State"], "Z") {
		return fmt.Errorf("attach to process %d: it is a zombie (it has exited and waits for its parent to reap it)", pid)
	}
	if tracer, _ := strconv.Atoi(fields["TracerPid"]); tracer != 0 {
		// TracerPid is the tracing thread; name its process.
		who := fmt.Sprintf("process %d (%s)", tracer, commOf(tracer))
		if tg := tgidOf(tracer); tg != 0 && tg != tracer {
			who = fmt.Sprintf("process %d (%s, thread %d)", tg, commOf(tg), tracer)
		}
		return fmt.Errorf("attach to process %d: it is already traced by %s; detach that debugger first", pid, who)
	}
	return nil
}

func tgidOf(tid int) int {
	tg, _ := strconv.Atoi(readStatus(fmt.Sprintf("/proc/%d/status", tid))["Tgid"])
	return tg
}

// checkDebugInfo refuses, before the process is touched, an executable
// that carries no DWARF and has no separate debug file where Delve looks
// for one (Delve would go on with only the Go symbol table: no variables,
// no types).
func checkDebugInfo(pid int, debugInfoDirs []string) error {
	exe := fmt.Sprintf("/proc/%d/exe", pid)
	f, err := elf.Open(exe)
	if err != nil {
		// Not ours to judge (no access, not ELF): loading will say.
		return nil
	}
	defer f.Close()
	for _, name := range []string{".debug_info", ".zdebug_info"} {
		if f.Section(name) != nil {
			return nil
		}
	}
	dirs := append(append([]string{}, debugInfoDirs...), "/usr/lib/debug")
	if id := gnuBuildID(f); id != "" {
		for _, dir := range dirs {
			if _, err := os.Stat(filepath.Join(dir, ".build-id", id[:2], id[2:]+".debug")); err == nil {
				return nil
			}
		}
	}
	// A .gnu_debuglink counts only if its file is where Delve looks for it:
	// beside the executable, in .debug there, or under a debug info
	// directory at the executable's path.
	if link := debugLink(f); link != "" {
		real, _ := filepath.EvalSymlinks(exe)
		dir := filepath.Dir(real)
		cands := []string{filepath.Join(dir, link), filepath.Join(dir, ".debug", link)}
		for _, d := range dirs {
			cands = append(cands, filepath.Join(d, dir, link))
		}
		for _, c := range cands {
			if _, err := os.Stat(c); err == nil {
				return nil
			}
		}
	}
	path, _ := os.Readlink(exe)
	return fmt.Errorf("attach to process %d: %s has no debug information (build it without -ldflags=-s/-w)",
		pid, strings.TrimSuffix(path, " (deleted)"))
}

// debugLink returns the file name in f's .gnu_debuglink, or "".
func debugLink(f *elf.File) string {
	sec := f.Section(".gnu_debuglink")
	if sec == nil {
		return ""
	}
	b, err := sec.Data()
	if err != nil {
		return ""
	}
	if i := bytes.IndexByte(b, 0); i > 0 {
		return string(b[:i])
	}
	return ""
}

// gnuBuildID returns the hex NT_GNU_BUILD_ID of f, or "".
func gnuBuildID(f *elf.File) string {
	sec := f.Section(".note.gnu.build-id")
	if sec == nil {
		return ""
	}
	data, err := sec.Data()
	if err != nil || len(data) < 16 {
		return ""
	}
	namesz := f.ByteOrder.Uint32(data[0:4])
	descsz := f.ByteOrder.Uint32(data[4:8])
	start := 12 + (namesz+3)&^3
	if uint32(len(data)) < start+descsz || descsz < 2 {
		return ""
	}
	return hex.EncodeToString(data[start : start+descsz])
}

// readStatus returns the fields of a /proc/.../status file, nil if it
// cannot be read.
func readStatus(path string) map[string]string {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	return statusFields(b)
}

func statusFields(status []byte) map[string]string {
	m := make(map[string]string)
	for _, line := range bytes.Split(status, []byte("\n")) {
		k, v, ok := bytes.Cut(line, []byte(":"))
		if ok {
			m[string(k)] = strings.TrimSpace(string(v))
		}
	}
	return m
}

func commOf(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(b))
}

// seizeError explains why PTRACE_SEIZE of the leader failed.
func seizeError(pid int, err error) error {
	switch err {
	case unix.EPERM:
		hint := "ptrace needs the same user as the target and no stricter Yama policy, or CAP_SYS_PTRACE (run as root)"
		if b, rerr := os.ReadFile("/proc/sys/kernel/yama/ptrace_scope"); rerr == nil {
			hint = fmt.Sprintf("kernel.yama.ptrace_scope is %s; %s", strings.TrimSpace(string(b)), hint)
		}
		return fmt.Errorf("attach to process %d: permission denied (EPERM): %s", pid, hint)
	case unix.ESRCH:
		return fmt.Errorf("attach to process %d: no such process", pid)
	}
	return fmt.Errorf("attach to process %d: seize: %w", pid, err)
}

// seizeAll seizes the leader and every thread, racing with thread creation:
// threads created by a seized thread are attached by the kernel
// (PTRACE_O_TRACECLONE); threads created by one not yet seized are found by
// listing /proc/PID/task again until a pass finds none. No thread is
// interrupted: a running program keeps running. Its job state is learned
// exactly all the same (learnJobState). Tracer thread.
func (p *Process) seizeAll() error {
	if err := ptraceSeize(p.pid, ptraceOptions); err != nil {
		return seizeError(p.pid, err)
	}
	// A seized thread is not "new": it runs, and reports nothing unless
	// it is group-stopped, so stopAll must interrupt it.
	leader := p.newThread(p.pid, false)
	leader.isNew = false
	p.noteVforkWait(leader)
	tried := map[int]bool{p.pid: true}
	for {
		tids, err := listTasks(p.pid)
		if err != nil {
			return fmt.Errorf("list threads of process %d: %w", p.pid, err)
		}
		found := false
		for _, tid := range tids {
			if tried[tid] || p.thread(tid) != nil {
				continue
			}
			tried[tid] = true
			found = true
			switch err := ptraceSeize(tid, ptraceOptions); err {
			case nil:
				th := p.newThread(tid, false)
				th.isNew = false
				p.noteVforkWait(th)
			case unix.ESRCH:
				// Exited meanwhile.
			case unix.EPERM:
				// Already ours: the kernel attached it when a seized
				// thread created it; its first stop is on its way.
				p.newThread(tid, true)
			default:
				return fmt.Errorf("seize thread %d of process %d: %w", tid, p.pid, err)
			}
		}
		if !found {
			break
		}
	}
	return p.learnJobState()
}

// learnJobState takes the reports the seize itself caused and leaves every
// thread running or listening. PTRACE_SEIZE of a thread in group-stop
// re-traps it into a PTRACE_EVENT_STOP carrying the stop signal, and
// returns only once it has (ptrace_attach: JOBCTL_TRAP_STOP|JOBCTL_TRAPPING,
// then wait_on_bit(JOBCTL_TRAPPING)); a running thread reports nothing. So
// once every thread is seized, the reports already there tell the state:
// a group-stop if any thread shows one, running otherwise. Group-stopped
// threads are PTRACE_LISTEN'ed, so a stopped process stays stopped and a
// later SIGCONT is seen. Tracer thread.
func (p *Process) learnJobState() error {
	for _, th := range p.threadSlice() {
		tid, ws, err := wait4(th.ID, true)
		if err != nil || tid <= 0 {
			continue // nothing to report (or gone: reaped below)
		}
		if err := p.stopReport(tid, ws); err != nil {
			return err
		}
	}
	if st, _ := p.job.State(); st == listenmode.StateUnknown {
		// No thread reported a PTRACE_EVENT_STOP, so none is group-stopped.
		p.job.Assume(listenmode.StateRunning)
	}
	for _, th := range p.threadSlice() {
		switch {
		case th.state == held:
			if err := p.resume(th); err != nil {
				return err
			}
		case !th.isNew:
			// Running since its seize: a report of it from now on is a
			// transition of the state just learned.
			p.job.Resumed(th.ID)
		}
	}
	p.publishJobState()
	return nil
}

func listTasks(pid int) ([]int, error) {
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		return nil, err
	}
	tids := make([]int, 0, len(ents))
	for _, e := range ents {
		if tid, err := strconv.Atoi(e.Name()); err == nil {
			tids = append(tids, tid)
		}
	}
	return tids, nil
}

// initialize opens the process's memory, builds the proc target group and
// loads the executable's debug information.
func (p *Process) initialize(path string, debugInfoDirs []string, reason proc.StopReason) (*proc.TargetGroup, error) {
	g := p.g // made with the process, so its tracer never sees it change
	g.mu.Lock()
	g.debugInfoDirs = debugInfoDirs
	g.mu.Unlock()
	grp, addTarget := proc.NewGroup(g, proc.NewTargetGroupConfig{
		DebugInfoDirs: debugInfoDirs,
		StopReason:    reason,
		CanDump:       true, // MemoryMap and DumpProcessNotes: dump_linux.go
	})
	p.grp = grp
	g.addTarget = addTarget
	if err := p.becomeTarget(path, reason); err != nil {
		return nil, err
	}
	return grp, nil
}

// becomeTarget makes the process a target of its group through proc's
// AddTargetFunc: it opens its memory and loads the executable's debug
// information. For a process attached running, the load runs while it
// runs free, and it is stopped at the end.
func (p *Process) becomeTarget(path string, reason proc.StopReason) error {
	hugeheap.PrepareFor(path) // the load's heap, in 2 MiB faults
	mem, err := openMem(p.pid)
	if err != nil {
		return fmt.Errorf("open memory of process %d: %w", p.pid, err)
	}
	p.mem = mem
	// While the program runs free, proc's one register read in building
	// the target (GetG, for the selected goroutine; proc ignores its
	// error) is declined, so the rest runs before the stop too: the first
	// breakpoints and the goroutine cache, which scans the DWARF info.
	deferred := p.free.on.Load()
	p.free.declineRegs.Store(deferred)
	var current *Thread
	if deferred {
		// The thread table only: whether a thread's registers can be
		// read is the free-running tracer's to know (its vfork state);
		// the thread is chosen again once it is stopped, below.
		current = p.threadOrLeader()
	} else {
		current = p.pickTrap(nil)
	}
	tgt, err := p.g.addTarget(p, p.pid, current, path, reason, cmdline(p.pid))
	p.free.declineRegs.Store(false)
	if err != nil {
		return err
	}
	if tgt == nil {
		return fmt.Errorf("process %d was not made a target (follow-exec is off)", p.pid)
	}
	if err := linutil.ElfUpdateSharedObjects(p); err != nil {
		return err
	}
	if deferred {
		p.warmGoroutineLookup()
		// Now stop, and select the goroutine as proc would have.
		if err := p.stopFreeRun(); err != nil {
			return err
		}
		var th *Thread
		p.tr.do(func() { th = p.pickTrap(nil) })
		if th != nil {
			if err := tgt.SwitchThread(th.ID); err != nil {
				return err
			}
		}
	}
	return nil
}

// explainLoadError names the executable when its debug information is what
// failed to load.
func explainLoadError(pid int, err error) error {
	var bad *proc.ErrBadBinaryInfo
	if errors.As(err, &bad) {
		exe, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
		return fmt.Errorf("%s has no debug information (build it without -ldflags=-s/-w): %w",
			strings.TrimSuffix(exe, " (deleted)"), err)
	}
	return err
}

func cmdline(pid int) string {
	buf, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	args := strings.Split(strings.TrimSuffix(string(buf), "\x00"), "\x00")
	for i, a := range args {
		if strings.ContainsAny(a, " \t") {
			args[i] = strconv.Quote(a)
		}
	}
	return strings.Join(args, " ")
}

// warmGoroutineLookup loads, while the program still runs, what selecting
// the goroutine of a stopped thread needs from the debug information: the
// runtime.g type and the runtime's line table (an idle leader waits in
// runtime.futex). It takes a millisecond or so off the pause.
func (p *Process) warmGoroutineLookup() {
	_, _ = p.bi.FindType("runtime.g")
	if fns, err := p.bi.FindFunction("runtime.futex"); err == nil && len(fns) > 0 {
		p.bi.PCToLine(fns[0].Entry)
	}
}
