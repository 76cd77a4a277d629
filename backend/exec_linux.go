package backend

import (
	"bytes"
	"fmt"
	"os"
	"strconv"

	"github.com/go-delve/delve/pkg/logflags"

	"github.com/dlv-listen/dlv-listen/listenmode"
)

// Following a child into the program it execs.
//
// With follow-exec on, a kid (fork_linux.go) is kept traced until it execs:
// PTRACE_O_TRACEEXEC is set on it, and the kernel reports
// PTRACE_EVENT_EXEC once the new program is loaded, before its first
// instruction, with every other thread of the kid gone (de_thread). The kid
// is then a new program with memory of its own and none of our
// breakpoints.
//
// Its tracer is the parent's tracer thread, which the kernel attached it
// to; but a process is served by a tracer thread of its own here, since a
// continue keeps its tracer busy until a trap. ptrace cannot move a tracee
// from one tracer to another, so the kid is handed over: its PC is on the
// first instruction of the new program, which is overwritten with one that
// jumps to itself (spinInstr); it is detached (PTRACE_DETACH, no signal)
// and spins there; the new Process's tracer thread seizes it, stops it with
// PTRACE_INTERRUPT, and puts the instruction back. While it spins it runs
// none of its program: it makes no system call, touches no memory, and a
// signal finds only default dispositions (execve resets handlers), so a
// SIGTSTP stops it as it would have stopped the program (its job state is
// learned at the seize), a SIGKILL or SIGINT ends it as it would the
// program.
//
// A kid whose command line the follow-exec regex does not match, or whose
// program is not one Delve can debug (no debug information), is let go at
// its exec instead, and named in the debugger log.

// following reports whether follow-exec is on, and the regex a child's
// command line must match (nil: any).
func (g *group) following() (bool, func(string) bool) {
	if g == nil {
		return false, nil // attach, before the group is made
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.follow {
		return false, nil
	}
	rx := g.followRx
	return true, func(cmd string) bool { return rx == nil || rx.MatchString(cmd) }
}

// followOn reports whether follow-exec is on.
func (g *group) followOn() bool {
	if g == nil {
		return false
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.follow
}

// kidExec takes a kid's PTRACE_EVENT_EXEC stop with follow-exec on: the kid
// is handed to a Process of its own, queued for the group to add as a
// target (and returned), or let go. Tracer thread.
func (p *Process) kidExec(k *kid, stop listenmode.Stop) *Process {
	log := logflags.DebuggerLogger()
	on, match := p.g.following()
	cmd := cmdline(k.pid)
	if !on {
		p.letKidGo(k, stop)
		return nil
	}
	if !match(cmd) {
		log.Debugf("dlv-listen backend: child %d %q of process %d: follow-exec regex not matched, let go", k.pid, cmd, p.pid)
		p.letKidGo(k, stop)
		p.g.spawned(p, k.pid, cmd, nil)
		return nil
	}
	err := checkGoProgram(k.pid)
	if err == nil {
		p.g.mu.Lock()
		dirs := p.g.debugInfoDirs
		p.g.mu.Unlock()
		err = checkDebugInfo(k.pid, dirs)
	}
	if err != nil {
		log.Warnf("dlv-listen backend: child %d %q of process %d cannot be debugged, let go: %v", k.pid, cmd, p.pid, err)
		p.letKidGo(k, stop)
		p.g.spawned(p, k.pid, cmd, err)
		return nil
	}
	np, err := p.handOver(k)
	if err != nil {
		log.Errorf("dlv-listen backend: child %d %q of process %d: %v", k.pid, cmd, p.pid, err)
		return nil
	}
	np.cmd = cmd
	p.g.born(np)
	return np
}

// selfExec takes the PTRACE_EVENT_EXEC of the debuggee itself
// (ptraceOptions has PTRACE_O_TRACEEXEC): one of its threads ran
// execve(2), every other
// thread is gone (de_thread; their exits are reported, the old leader's
// not at all) and the one left has the process's pid, in the new program,
// before its first instruction, as a kid has at its exec. As native does
// (trapWaitInternal, PTRACE_EVENT_EXEC: a new target for the same pid),
// the new program is taken like a kid's (kidExec: the regex, a Go program
// with debug information, the hand-over to a Process of its own, a new
// target of the group) or let go; this Process, whose program is gone
// with its memory, threads and breakpoints (nothing is written back: the
// addresses are the new program's now), ends as one that exited with
// status 0. With follow-exec off the new program is let go, and that is
// all the session hears, as under native, which also reports the process
// exited with status 0 then; the debugger log says what happened.
// Tracer thread.
func (p *Process) selfExec(stop listenmode.Stop) {
	if on, _ := p.g.following(); !on {
		logflags.DebuggerLogger().Warnf("dlv-listen backend: process %d executed %q, which follow-exec off does not follow: let go, its old program ended", p.pid, exePath(p.pid))
	}
	for _, th := range p.threadSlice() {
		p.removeThread(th.ID)
		if th.ID != p.pid {
			// An exit of it still queued is not a thread's that came back.
			p.vanished[th.ID] = struct{}{}
		}
	}
	p.plantMu.Lock()
	for addr := range p.planted {
		p.forgetPlanted(addr)
	}
	p.plantMu.Unlock()
	if np := p.kidExec(&kid{pid: p.pid, seen: true}, stop); np != nil {
		p.successor.Store(np)
	}
	p.postExit(0)
}

// Successor is the process that took over p's pid when p's program
// exec'd another that follow-exec took (selfExec), once p is gone; nil if
// none. It joins the group as a new process (OnNewProcess) before it runs.
func (p *Process) Successor() *Process { return p.successor.Load() }

// handOver moves an exec'd kid, in its PTRACE_EVENT_EXEC stop, to a new
// Process with a tracer thread of its own, and returns it with its one
// thread held and its program as the kernel loaded it. Tracer thread (the
// kid's current tracer).
func (p *Process) handOver(k *kid) (*Process, error) {
	kt := &Thread{ID: k.pid, p: p, state: held}
	regs, err := kt.registers()
	if err != nil {
		p.dropKid(k)
		return nil, fmt.Errorf("read registers at exec: %w", err)
	}
	pc := regs.PC()
	orig := make([]byte, len(spinInstr))
	if _, err := readProcMem(k.pid, orig, pc); err != nil {
		p.dropKid(k)
		return nil, fmt.Errorf("read entry instruction at %#x: %w", pc, err)
	}
	if err := p.writeKidMemory(k.pid, pc, spinInstr); err != nil {
		p.dropKid(k)
		return nil, fmt.Errorf("write spin instruction at %#x: %w", pc, err)
	}
	if err := ptraceDetach(k.pid, 0); err != nil {
		p.dropKid(k)
		return nil, fmt.Errorf("detach for hand-over: %w", err)
	}
	p.dropKid(k)
	np := newProcessIn(k.pid, p.g)
	np.childProcess = p.childProcess && k.pid == p.pid // our own child, exec'd
	np.tr.do(func() { err = np.adoptSpinning(pc, orig) })
	if err != nil {
		np.abandon()
		return nil, fmt.Errorf("take over after exec: %w", err)
	}
	return np, nil
}

// adoptSpinning seizes a process spinning on spinInstr at pc, stops it and
// puts orig back: the program is then exactly as execve left it, held.
// Tracer thread.
func (p *Process) adoptSpinning(pc uint64, orig []byte) error {
	if err := p.seizeAll(); err != nil {
		return err
	}
	if err := p.stopAll(); err != nil {
		return err
	}
	mem, err := openMem(p.pid)
	if err != nil {
		return fmt.Errorf("open memory of process %d: %w", p.pid, err)
	}
	p.mem = mem
	cur := make([]byte, len(spinInstr))
	if _, err := p.mem.ReadAt(cur, int64(pc)); err != nil || !bytes.Equal(cur, spinInstr) {
		return fmt.Errorf("process %d: no spin instruction at %#x any more (%x, %v)", p.pid, pc, cur, err)
	}
	if _, err := p.mem.WriteAt(orig, int64(pc)); err != nil {
		return fmt.Errorf("process %d: restore entry instruction at %#x: %w", p.pid, pc, err)
	}
	for _, th := range p.threadSlice() {
		if regs, err := th.registers(); err == nil && regs.PC() != pc {
			return fmt.Errorf("process %d: thread %d left its spin at %#x for %#x", p.pid, th.ID, pc, regs.PC())
		}
	}
	return nil
}

// exePath is the program a process runs.
func exePath(pid int) string {
	if path, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/exe"); err == nil {
		return path
	}
	return "/proc/" + strconv.Itoa(pid) + "/exe"
}
