package backend

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/go-delve/delve/pkg/logflags"
	"golang.org/x/sys/unix"

	"github.com/dlv-listen/dlv-listen/listenmode"
)

// Child processes, with follow-exec off.
//
// A process the debuggee creates must not carry our breakpoints. fork(2)
// copies the parent's memory, int3s included; an untraced child that runs
// into one dies of SIGTRAP (stock Delve traces only clones and has that
// bug). So every seize sets PTRACE_O_TRACEFORK and TRACEVFORK (vfork only
// while a child could run into a breakpoint: forkopts_linux.go): the
// kernel attaches the child to us, stopped before it runs a single instruction
// (ptrace_init_task sets JOBCTL_TRAP_STOP on a seized child, and get_signal
// traps it before it returns to user space), and reports the creator's
// PTRACE_EVENT_FORK/VFORK with the child's pid in PTRACE_GETEVENTMSG. The
// child's own first stop may be reaped before that report (wait(2) walks
// the newest tracees first).
//
// A new task is a new process, not a thread of the debuggee, when its Tgid
// (/proc/TID/status) is not the debuggee's: what clone(2) did with
// CLONE_THREAD, whatever the event (the kernel picks the event from the
// clone flags — CLONE_VFORK: VFORK; an exit signal other than SIGCHLD:
// CLONE; else FORK — not from CLONE_THREAD). Whether it has its own copy of
// the memory or shares the debuggee's (CLONE_VM: vfork, os/exec) is asked
// of the kernel with kcmp(KCMP_VM):
//
//   - own memory (fork): every breakpoint we ever planted is taken out of
//     its memory (/proc/CHILD/mem; debug registers are not inherited:
//     copy_thread clears ptrace_bps on x86, ptrace_hw_copy_thread the debug
//     state on arm64), then it is detached with no signal, keeping its job
//     state (a child in group-stop stays stopped);
//   - shared memory (vfork): its int3s are the debuggee's and stay. It is
//     kept traced until it execs (PTRACE_O_TRACEEXEC) or exits, and a
//     trap on one of our breakpoints is stepped over (lift, single-step,
//     restore) instead of being reported. It runs under
//     PTRACE_SYSCALL: a child that asks to be traced by its parent
//     (PTRACE_TRACEME, os/exec's SysProcAttr.Ptrace, as Delve's own launch
//     does) would get EPERM while we trace it, so it is let go at that
//     system call's entry, before the kernel runs it. That costs two
//     stops per system call, and a Go child makes some seventy (signal
//     handlers) before execve, so the usual case takes a short cut: a
//     child of Go's os/exec (its first stop in syscall.rawVforkSyscall)
//     runs only runtime and syscall code until execve, and when none of
//     our breakpoints is there, it is let go at its first stop
//     (goChildPathClear). It does not stop
//     with the debuggee: each of its reports is handled as it is reaped and
//     it is resumed at once, since a vfork parent sleeps in the kernel
//     until the child execs or exits.
//
// That vfork parent thread sleeps in wait_for_vfork_done, killable only
// (kernel/fork.c), so PTRACE_INTERRUPT does not stop it. From its
// PTRACE_EVENT_VFORK until the wait ends a thread needs no stop: stopping
// the world does not wait for it, and its registers are those of its event
// stop (its user registers do not change while it sleeps in the system
// call). The end of the wait is not reported as PTRACE_EVENT_VFORK_DONE
// (no TRACEVFORKDONE): that stop cost every child of os/exec a stop of its
// parent, with the wake-ups of the parent and the tracer, while the child
// starts. A stop of the world learns it instead (interruptVforkWaiter):
// it interrupts the waiter too, and asks the kernel whether the child
// still uses the debuggee's memory. A waiter whose wait has ended stops
// for the interrupt like any thread. One still waiting keeps the
// interrupt pending through the wait (PTRACE_INTERRUPT sets
// JOBCTL_TRAP_STOP and wakes only an interruptible sleep,
// ptrace_signal_wake_up; a killable wait_for_completion_state ends only on
// completion or a fatal signal) and traps into PTRACE_EVENT_STOP when the
// wait ends, on its way back to user space (get_signal, do_jobctl_trap),
// before it runs an instruction: it cannot run while the world is stopped,
// as the VFORK_DONE stop did not let it either. Per os/exec child the
// debuggee thus stops twice while vfork children are traced: its thread's
// PTRACE_EVENT_VFORK and the child's first stop.
//
// A child is a kid here, to keep "child" for the processes we launch.

// kidOptions are set on a shared-memory kid at its first stop: it inherited
// ours (ptrace_init_task copies them), maybe without TRACEVFORK; its exec
// is reported, to let it go there.
const kidOptions = ptraceOptions

// kcmpVM is KCMP_VM (include/uapi/linux/kcmp.h).
const kcmpVM = 1

// kid is a process one of our tracees created, which the kernel attached to
// us. Tracer thread only.
type kid struct {
	pid int
	// announced: its creator's event has been reaped; vfork says which.
	announced, vfork bool
	// seen: its first stop has been reaped (then shared is known).
	seen, shared bool
	// gone: let go of, or exited.
	gone bool
	// listening: a shared kid parked in a group-stop by PTRACE_LISTEN.
	listening bool
	// toExec: a child of Go's os/exec followed to its exec (follow-exec
	// on). It is resumed with PTRACE_CONT, not from system call to system
	// call: Go's child makes some seventy before execve, two stops each,
	// and a PTRACE_TRACEME among them fails with EPERM as it does under
	// native with follow-exec on, which traces such a child as a thread.
	toExec bool
}

// kids is the backend's record of the processes its tracees create.
type kids struct {
	m map[int]*kid
	// text is the original text under every software breakpoint ever
	// planted: a child forked before a breakpoint was erased still has
	// its int3.
	text map[uint64][]byte
}

// vforkWait is the state of a thread that created a child with vfork.
type vforkWait struct {
	kid  int  // the child it waits for; 0 if none
	regs arch // its registers at its PTRACE_EVENT_VFORK stop
}

// waitsForVfork reports whether th may sleep in the kernel until its vfork
// child execs or exits: it was resumed from its PTRACE_EVENT_VFORK stop and
// has not reported since. While the program runs its wait may be over
// already (nothing reports its end); a stop of the world finds out
// (interruptVforkWaiter), so with every thread held it means the thread
// still waits, or has just stopped at the end of its wait. Such a thread
// needs no stop.
func (th *Thread) waitsForVfork() bool { return th.vfork.kid != 0 && th.state != held }

// interruptVforkWaiter interrupts a thread that may still be in its vfork
// wait and reports whether it still is. The interrupt stops a thread out
// of its wait like any other, and stays pending through a wait that goes
// on, to stop the thread when it ends (see the top of this file). The
// wait lasts while the child uses the debuggee's memory: the kernel
// completes it in mm_release, when the child execs (exec_mmap releases
// the old mm before it installs the new one) or exits, so a child that no
// longer shares the memory has ended it; one that still shares may end it
// any moment, and the thread then stops on the interrupt, its registers
// those kept from its event stop but for the return value. A thread found
// out of its wait is an ordinary running thread again. Tracer thread.
func (p *Process) interruptVforkWaiter(th *Thread) (still bool, err error) {
	if err := ptraceInterrupt(th.ID); err != nil && err != unix.ESRCH {
		return false, fmt.Errorf("interrupt thread %d: %w", th.ID, err)
	}
	if p.kidHoldsWait(th) {
		return true, nil
	}
	th.vfork = vforkWait{}
	th.invalidateRegisters()
	return false, nil
}

// kidHoldsWait reports whether th's vfork child still shares the
// debuggee's memory (kcmp(2), KCMP_VM), so th may still wait for it. A
// child found at attach but not identified (kid -1) counts as sharing:
// that waiter was interrupted then, and its report ends the wait. Without
// kcmp, /proc says whether the thread sleeps in a vfork clone.
func (p *Process) kidHoldsWait(th *Thread) bool {
	kid := th.vfork.kid
	if kid < 0 {
		return true
	}
	r, _, errno := unix.Syscall6(unix.SYS_KCMP, uintptr(p.pid), uintptr(kid), kcmpVM, 0, 0, 0)
	switch errno {
	case 0:
		return r == 0
	case unix.ESRCH:
		return false // the child is gone (and the debuggee is not)
	}
	return p.inVforkWait(th.ID)
}

// keepVforkRegisters keeps the registers of a thread resumed into its vfork
// wait readable: they are those of its event stop until it returns.
func (th *Thread) keepVforkRegisters() {
	if th.vfork.kid != 0 && th.vfork.regs.cached != nil {
		th.regs = th.vfork.regs
	}
}

// unreadable reports whether th is a thread found in its vfork wait by
// /proc (noteVforkWait), of which no ptrace-stop was reaped since: nothing
// can read its registers until the wait ends (takeWaitEnd).
func (th *Thread) unreadable() bool { return th.waitsForVfork() && th.regs.cached == nil }

// takeWaitEnd reaps the report of an unreadable thread if its wait has
// ended: it stopped on the interrupt left pending through it, and is held
// from then on like any stopped thread. Tracer thread.
func (p *Process) takeWaitEnd(th *Thread) error {
	if !th.unreadable() {
		return nil
	}
	tid, ws, err := wait4(th.ID, true)
	if err != nil || tid <= 0 {
		return nil // still waiting (or gone: its exit is reported)
	}
	return p.stopReport(tid, ws)
}

func (th *Thread) errUnreadable() error {
	return fmt.Errorf("thread %d waits in the kernel for its vfork child to exec or exit: its registers cannot be read until then", th.ID)
}

// noteVforkWait marks a thread that sleeps in a vfork wait no
// PTRACE_EVENT_VFORK told of (only /proc tells): one just seized at attach,
// or one that made its child while vfork children were not traced
// (findVforkWaiters). It is not stopped with the others. Its child, which
// shares the memory our breakpoints go into, is seized as a kid. The
// thread is interrupted all the same: should it not be waiting after all
// (the clone failed), it stops like any thread, and any report of it ends
// the wait (reap). Tracer thread.
func (p *Process) noteVforkWait(th *Thread) {
	if !p.inVforkWait(th.ID) {
		return
	}
	th.vfork.kid = -1
	_ = ptraceInterrupt(th.ID)
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", p.pid, th.ID))
	for _, f := range strings.Fields(string(b)) {
		pid, err := strconv.Atoi(f)
		if err != nil || p.kids.m[pid] != nil || !p.sharesMemory(pid) {
			continue
		}
		if err := ptraceSeize(pid, kidOptions); err != nil {
			continue
		}
		k := p.newKid(pid)
		k.announced, k.vfork, k.seen, k.shared = true, true, true, true
		th.vfork.kid = pid
	}
}

// inVforkWait tells from /proc whether thread tid sleeps in a clone(2) or
// clone3(2) with CLONE_VFORK: in wait_for_vfork_done, state D.
func (p *Process) inVforkWait(tid int) bool {
	if st, err := taskState(p.pid, tid); err != nil || st != 'D' {
		return false
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/syscall", p.pid, tid))
	if err != nil {
		return false
	}
	f := strings.Fields(string(b)) // "nr arg1 ... arg6 sp pc"
	if len(f) < 2 {
		return false
	}
	nr, err1 := strconv.Atoi(f[0])
	arg, err2 := strconv.ParseUint(strings.TrimPrefix(f[1], "0x"), 16, 64)
	if err1 != nil || err2 != nil {
		return false
	}
	flags := arg
	switch nr {
	case unix.SYS_CLONE:
	case unix.SYS_CLONE3:
		// arg is a struct clone_args, whose first field is the flags.
		buf := make([]byte, 8)
		if _, err := readProcMem(p.pid, buf, arg); err != nil {
			return false
		}
		flags = binary.NativeEndian.Uint64(buf)
	default:
		return false
	}
	return flags&unix.CLONE_VFORK != 0
}

// readProcMem reads the memory of pid through /proc/PID/mem.
func readProcMem(pid int, buf []byte, addr uint64) (int, error) {
	mem, err := os.Open(fmt.Sprintf("/proc/%d/mem", pid))
	if err != nil {
		return 0, err
	}
	defer mem.Close()
	return mem.ReadAt(buf, int64(addr))
}

// rememberText records the original text of a software breakpoint.
func (p *Process) rememberText(addr uint64, orig []byte) {
	if p.kids.text == nil {
		p.kids.text = make(map[uint64][]byte)
	}
	p.kids.text[addr] = append([]byte(nil), orig...)
}

// created takes the creator's report of a new task (PTRACE_EVENT_CLONE,
// FORK or VFORK; th is nil when the creator is itself a kid) and returns
// whether the task is a new process. It returns false for a thread of the
// debuggee, and for a task already gone, which cloned handles. Tracer
// thread.
func (p *Process) created(th *Thread, tid int, kind listenmode.Kind) bool {
	k := p.kids.m[tid]
	if k == nil {
		if _, gone := p.vanished[tid]; gone || p.thread(tid) != nil {
			return false
		}
		// Not the event: clone(CLONE_THREAD) with SIGCHLD as exit signal
		// is reported as a fork.
		if !p.otherProcess(tid) {
			return false
		}
		k = p.newKid(tid)
	}
	k.announced = true
	k.vfork = kind == listenmode.KindVfork
	if k.vfork && th != nil {
		// Its registers now, for the time it waits in the kernel.
		if _, err := th.registers(); err == nil {
			th.vfork = vforkWait{kid: tid, regs: th.regs}
		}
	}
	if k.gone {
		delete(p.kids.m, tid)
	}
	return true
}

// otherProcess reports whether task tid, one of our tracees, is not a
// thread of the debuggee: a new process. A task that clone(2) made without
// CLONE_THREAD leads a thread group of its own (its Tgid is its tid),
// while a thread of the debuggee, the leader aside, never does. One
// tgkill(tid, tid, 0) asks exactly that: the kernel finds the task by tid
// and refuses with ESRCH unless its Tgid is the one given, before it
// checks the permission to signal (do_send_specific, kernel/signal.c);
// signal 0 sends nothing. A task that is gone gets ESRCH too and counts as
// the debuggee's: its exit is reported as a thread's. (Reading
// /proc/TID/status for the Tgid cost a new process 0.1 to 0.5 ms, which
// its first stop waited through.)
func (p *Process) otherProcess(tid int) bool {
	if tid == p.pid {
		return false
	}
	err := unix.Tgkill(tid, tid, 0)
	return err == nil || err == unix.EPERM
}

func (p *Process) newKid(pid int) *kid {
	if p.kids.m == nil {
		p.kids.m = make(map[int]*kid)
	}
	k := &kid{pid: pid}
	p.kids.m[pid] = k
	return k
}

// kidReport takes a report of a task that is not a thread of the debuggee
// and returns true; it returns false for a thread of the debuggee (a new
// one is registered by reap). Tracer thread.
func (p *Process) kidReport(tid int, stop listenmode.Stop) bool {
	k := p.kids.m[tid]
	if k == nil {
		if stop.Gone() {
			// Its first stop, if any, was reaped as a thread's; for a task
			// we never saw, keep its end so the creator's report does not
			// bring it back (see cloned and created).
			p.vanished[tid] = struct{}{}
			return true
		}
		if !p.otherProcess(tid) {
			return false
		}
		k = p.newKid(tid)
	}
	p.kidStop(k, stop, false)
	return true
}

// kidStop handles one report of a kid. With release, the session ends: the
// kid is cleaned and let go whatever it shares. Tracer thread.
func (p *Process) kidStop(k *kid, stop listenmode.Stop, release bool) {
	if stop.Gone() {
		p.dropKid(k)
		return
	}
	following, _ := p.g.following()
	if !k.seen {
		k.seen = true
		p.kidsTraced++
		k.shared = p.sharesMemory(k.pid)
		if k.shared && !release && !following && p.goChildPathClear(k.pid) {
			p.letKidGo(k, stop)
			return
		}
		k.toExec = k.shared && !release && following && p.goExecChild(k.pid)
		if !k.shared && !release && following {
			// Kept until it execs (exec_linux.go), with its own memory
			// cleaned of our breakpoints now.
			p.cleanKid(k.pid)
		}
		if (k.shared || following) && !release {
			if err := ptraceSetOptions(k.pid, kidOptions); err != nil && err != unix.ESRCH {
				logflags.DebuggerLogger().Warnf("dlv-listen backend: child %d of process %d: set options: %v", k.pid, p.pid, err)
			}
		}
	}
	switch {
	case release || (!k.shared && !following):
		if stop.Kind == listenmode.KindBreakpoint {
			// Our trap, with the text back under it: the kid runs the
			// instruction again, with no SIGTRAP.
			if kt, addr, ours := p.kidTrap(k); ours && (!p.bi.Arch.BreakInstrMovesPC() || kt.setPC(addr) == nil) {
				stop = listenmode.Stop{Kind: listenmode.KindEventStop}
			}
		}
		p.cleanKid(k.pid)
		p.letKidGo(k, stop)
		return
	case stop.Kind == listenmode.KindExec:
		// A new program, with memory of its own and none of our traps.
		p.kidExec(k, stop)
		return
	case stop.Kind == listenmode.KindBreakpoint && k.shared:
		// (A copy's traps were cleaned: one now is the program's own.)
		if p.stepKidOverBreakpoint(k) {
			return
		}
	case stop.Kind == listenmode.KindSyscall && asksToBeTraced(k.pid):
		p.letKidGo(k, stop)
		return
	case stop.Kind == listenmode.KindFork || stop.Kind == listenmode.KindVfork || stop.Kind == listenmode.KindClone:
		if msg, err := ptraceGetEventMsg(k.pid); err == nil {
			p.created(nil, int(msg), stop.Kind)
		}
	}
	p.resumeKid(k, stop)
}

// resumeKid lets a shared kid run on as the kernel made it: a group-stop is
// listened to (the user's job control is the kid's own), a signal is
// delivered, anything else continues.
func (p *Process) resumeKid(k *kid, stop listenmode.Stop) {
	var err error
	k.listening = stop.Kind == listenmode.KindGroupStop
	if k.listening {
		err = ptraceListen(k.pid)
	} else {
		sig := stop.Reinject()
		if stop.Kind == listenmode.KindBreakpoint {
			sig = unix.SIGTRAP // an int3 of the program's own: its SIGTRAP is the program's
		}
		// To its next system call (see asksToBeTraced), or to its exec.
		req := unix.PTRACE_SYSCALL
		if k.toExec {
			req = unix.PTRACE_CONT
		}
		err = ptrace(req, k.pid, 0, uintptr(sig))
	}
	if err != nil && err != unix.ESRCH {
		logflags.DebuggerLogger().Warnf("dlv-listen backend: resume child %d of process %d: %v", k.pid, p.pid, err)
	}
}

// crashBreakpoints are Delve's own breakpoints in the runtime, which a
// child reaches only when it crashes (and then it dies either way).
// (Delve v1.27.2's createUnrecoveredPanicBreakpoint and
// createFatalThrowBreakpoint.)
var crashBreakpoints = map[string]bool{
	"runtime.startpanic": true, "runtime.fatalpanic": true, "runtime.throw": true,
	"runtime.fatal": true, "runtime.winthrow": true, "runtime.fatalsignal": true,
}

// goChildPathClear reports whether a vfork child is one of Go's os/exec
// (its first stop is in syscall.rawVforkSyscall, right after the clone) and
// none of our software breakpoints is in the code such a child runs until
// execve: syscall.forkAndExecInChild1 and the runtime and syscall
// functions it calls. While the debug information loads (the program runs
// free) the answer is no: it is not read then. Tracer thread.
func (p *Process) goChildPathClear(pid int) bool {
	if !p.goExecChild(pid) {
		return false
	}
	p.plantMu.Lock()
	defer p.plantMu.Unlock()
	for addr, bp := range p.planted {
		if bp.WatchType != 0 {
			continue // debug registers are not inherited (copy_thread)
		}
		fn := p.bi.PCToFunc(addr)
		if fn == nil {
			return false
		}
		if crashBreakpoints[fn.Name] {
			continue
		}
		if goExecChildPath(fn.Name) {
			return false
		}
	}
	return true
}

// goExecChild reports whether a vfork child is one of Go's os/exec: its
// first stop is in syscall.rawVforkSyscall, right after the clone. While
// the debug information loads (the program runs free) the answer is no: it
// is not read then. Tracer thread.
func (p *Process) goExecChild(pid int) bool {
	if p.free.on.Load() {
		return false
	}
	kt := &Thread{ID: pid, p: p, state: held}
	regs, err := kt.registers()
	if err != nil {
		return false
	}
	fn := p.bi.PCToFunc(regs.PC())
	return fn != nil && fn.Name == "syscall.rawVforkSyscall"
}

// syscallInfo is the start of struct ptrace_syscall_info (Linux 5.3) up to
// the entry's first argument.
type syscallInfo struct {
	Op     uint8
	_      [3]uint8
	Arch   uint32
	IP, SP uint64
	Nr     uint64
	Arg0   uint64
	_      [5]uint64
}

// asksToBeTraced reports whether a kid in a syscall-stop is entering
// ptrace(PTRACE_TRACEME). PTRACE_GET_SYSCALL_INFO tells entry from exit;
// before Linux 5.3 /proc/PID/syscall says which call the kid is in.
func asksToBeTraced(pid int) bool {
	var si syscallInfo
	if err := ptrace(unix.PTRACE_GET_SYSCALL_INFO, pid, unsafe.Sizeof(si), uintptr(unsafe.Pointer(&si))); err == nil {
		return si.Op == unix.PTRACE_SYSCALL_INFO_ENTRY && si.Nr == unix.SYS_PTRACE && si.Arg0 == unix.PTRACE_TRACEME
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/syscall", pid))
	f := strings.Fields(string(b))
	return err == nil && len(f) > 1 && f[0] == strconv.Itoa(unix.SYS_PTRACE) && f[1] == "0x0"
}

// letKidGo detaches a kid that sits in a ptrace-stop, giving it the signal
// of a signal-delivery-stop; a kid in group-stop stays stopped (ptrace(2),
// PTRACE_DETACH).
func (p *Process) letKidGo(k *kid, stop listenmode.Stop) {
	var sig unix.Signal
	if stop.IsSignalDeliveryStop() {
		sig = stop.Signal
		if stop.Kind == listenmode.KindBreakpoint {
			sig = unix.SIGTRAP
		} else if stop.Kind != listenmode.KindSignal {
			sig = 0 // a step trap of ours
		}
	}
	if err := ptraceDetach(k.pid, sig); err != nil && err != unix.ESRCH {
		logflags.DebuggerLogger().Warnf("dlv-listen backend: let child %d of process %d go: %v", k.pid, p.pid, err)
	}
	p.dropKid(k)
}

// dropKid forgets a kid once it is gone and its creator's report is in;
// until then the entry keeps that report from bringing it back.
func (p *Process) dropKid(k *kid) {
	k.gone = true
	if k.announced {
		delete(p.kids.m, k.pid)
	}
}

// sharesMemory asks the kernel whether pid uses the debuggee's memory
// (kcmp(2), KCMP_VM). Without kcmp it answers yes while the debuggee
// lives: the shared treatment (step over, let go at exec) is right for a
// copy too, only slower, while cleaning shared memory would take the
// debuggee's breakpoints out.
func (p *Process) sharesMemory(pid int) bool {
	r, _, errno := unix.Syscall6(unix.SYS_KCMP, uintptr(p.pid), uintptr(pid), kcmpVM, 0, 0, 0)
	if errno == 0 {
		return r == 0
	}
	return !p.exited.Load() && p.alive()
}

// cleanKid puts the original text back under every breakpoint we ever
// planted that the kid's memory still holds. Tracer thread.
func (p *Process) cleanKid(pid int) {
	p.plantMu.Lock()
	defer p.plantMu.Unlock()
	if len(p.kids.text) == 0 {
		return
	}
	mem, err := openMem(pid)
	if err != nil {
		return // gone
	}
	defer mem.Close()
	instr := p.bi.Arch.BreakpointInstruction()
	buf := make([]byte, len(instr))
	for addr, orig := range p.kids.text {
		if _, err := mem.ReadAt(buf, int64(addr)); err != nil || !bytes.Equal(buf, instr) {
			continue
		}
		if _, err := mem.WriteAt(orig, int64(addr)); err != nil {
			logflags.DebuggerLogger().Errorf("dlv-listen backend: remove breakpoint at %#x from child %d of process %d: %v", addr, pid, p.pid, err)
		}
	}
}

// stepKidOverBreakpoint moves a shared kid that trapped on one of our
// breakpoints past it: rewind, lift, single-step, restore, continue. The
// breakpoint is out of the shared memory for the one instruction, so a
// debuggee thread executing it meanwhile would miss it. It returns false
// if the trap is not ours. Tracer thread.
func (p *Process) stepKidOverBreakpoint(k *kid) bool {
	kt, addr, ours := p.kidTrap(k)
	if !ours {
		return false
	}
	p.plantMu.Lock()
	orig := p.kids.text[addr]
	p.plantMu.Unlock()
	instr := p.bi.Arch.BreakpointInstruction()
	if p.bi.Arch.BreakInstrMovesPC() {
		if err := kt.setPC(addr); err != nil {
			return false
		}
	}
	p.plantMu.Lock()
	bp, planted := p.planted[addr]
	p.plantMu.Unlock()
	if !planted || bp.WatchType != 0 {
		// Erased after the kid took it: the text is back already.
		p.resumeKid(k, listenmode.Stop{Kind: listenmode.KindEventStop})
		return true
	}
	if err := p.writeKidMemory(k.pid, addr, orig); err != nil {
		return false
	}
	stop, pending := p.stepKid(k)
	p.plantMu.Lock()
	if _, still := p.planted[addr]; still && p.alive() {
		if _, err := p.writeMemoryOnTracer(addr, instr); err != nil {
			logflags.DebuggerLogger().Errorf("dlv-listen backend: restore breakpoint at %#x after child %d stepped over it: %v", addr, k.pid, err)
		}
	}
	p.plantMu.Unlock()
	if stop.Gone() {
		p.dropKid(k)
		return true
	}
	if stop.Kind == listenmode.KindExec {
		p.kidExec(k, stop)
		return true
	}
	if pending != 0 {
		if stop.Kind == listenmode.KindSingleStep {
			stop = listenmode.Stop{Kind: listenmode.KindSignal, Signal: pending}
		} else {
			_ = unix.Tgkill(tgidOf(k.pid), k.pid, pending) // not deliverable from this stop
		}
	}
	p.resumeKid(k, stop)
	return true
}

// kidTrap tells whether a kid's breakpoint trap is on one of our
// breakpoints, and where. Tracer thread.
func (p *Process) kidTrap(k *kid) (kt *Thread, addr uint64, ours bool) {
	kt = &Thread{ID: k.pid, p: p, state: held}
	regs, err := kt.registers()
	if err != nil {
		return kt, 0, false
	}
	addr = regs.PC()
	if p.bi.Arch.BreakInstrMovesPC() {
		addr -= uint64(len(p.bi.Arch.BreakpointInstruction()))
	}
	p.plantMu.Lock()
	_, ours = p.kids.text[addr]
	p.plantMu.Unlock()
	return kt, addr, ours
}

// stepKid single-steps a kid and returns the stop that ended the step, and a
// signal that came meanwhile, to deliver after it. Bounded by stallAfter:
// an instruction that blocks (a system call) ends the wait with the kid
// running, its step trap to be reaped later as any report of it.
func (p *Process) stepKid(k *kid) (listenmode.Stop, unix.Signal) {
	var pending unix.Signal
	deadline := time.Now().Add(stallAfter)
	for {
		if err := ptrace(unix.PTRACE_SINGLESTEP, k.pid, 0, 0); err != nil {
			return listenmode.Stop{Kind: listenmode.KindExited}, 0
		}
		ws, ok := p.waitKid(k.pid, deadline)
		if !ok {
			return listenmode.Stop{Kind: listenmode.KindUnknown}, pending
		}
		stop := decodeReport(k.pid, ws)
		if stop.Kind == listenmode.KindSignal {
			if pending != 0 {
				// Standard signals do not queue twice: send it again.
				_ = unix.Tgkill(tgidOf(k.pid), k.pid, stop.Signal)
			} else {
				pending = stop.Signal // delivered once the step is done
			}
			continue
		}
		return stop, pending
	}
}

// waitVforkDone waits until deadline for the report of th that ends its
// vfork wait (the PTRACE_EVENT_STOP of the interrupt the stop of the world
// left pending, interruptVforkWaiter), giving up early once its child is
// seen stopped (a child let go in a signal-delivery-stop of SIGSTOP stops
// only after the detach).
func (p *Process) waitVforkDone(th *Thread, deadline time.Time) (unix.WaitStatus, bool) {
	for time.Now().Before(deadline) {
		if ws, ok := p.waitKid(th.ID, time.Now().Add(10*time.Millisecond)); ok {
			return ws, true
		}
		if kid := th.vfork.kid; kid > 0 {
			if st, err := taskState(kid, kid); err == nil && st == 'T' {
				return 0, false
			}
		}
	}
	return 0, false
}

// waitKid waits for the next report of tid until deadline, sleeping on
// SIGCHLD. Tracer thread.
func (p *Process) waitKid(tid int, deadline time.Time) (unix.WaitStatus, bool) {
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	defer wantSigchld()()
	for {
		p.tr.drainSigchld()
		got, ws, err := wait4(tid, true)
		if err != nil {
			return 0, false
		}
		if got > 0 {
			return ws, true
		}
		select {
		case <-p.tr.sigchld:
		case <-timer.C:
			return 0, false
		}
	}
}

func (p *Process) writeKidMemory(pid int, addr uint64, data []byte) error {
	mem, err := os.OpenFile(fmt.Sprintf("/proc/%d/mem", pid), os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer mem.Close()
	_, err = mem.WriteAt(data, int64(addr))
	return err
}

// settleKids takes, without waiting, the reports kids have pending, so a
// child made just before the world stopped is let go (fork) or running
// (vfork) rather than held by us. Tracer thread.
func (p *Process) settleKids() {
	for _, k := range p.kids.m {
		if k.gone {
			continue
		}
		if tid, ws, err := wait4(k.pid, true); err == nil && tid > 0 {
			p.kidStop(k, decodeReport(tid, ws), false)
		}
	}
}

// decodeReport decodes a wait status of tid, reading si_code when needed.
func decodeReport(tid int, ws unix.WaitStatus) listenmode.Stop {
	var code int32
	if listenmode.NeedsSiginfo(ws) {
		code, _ = ptraceSiginfoCode(tid)
	}
	return listenmode.Decode(ws, code)
}

// kidReleaseWait bounds how long the end of the session waits for one kid
// to stop so it can be cleaned and detached.
const kidReleaseWait = time.Second

// releaseKids lets every kid go at the end of the session (detach, or the
// debuggee's end): each is stopped, cleaned of our breakpoints (the
// debuggee's are out already, or it is gone and a vfork child keeps its
// memory) and detached. One that does not stop in time is cleaned all the
// same (memory needs no stop) and left to the kernel, which detaches our
// tracees when the tracer thread exits (exit_ptrace). It returns the kids
// let go in a group-stop, which stay stopped. Tracer thread.
func (p *Process) releaseKids() (stopped map[int]bool) {
	stopped = make(map[int]bool)
	for _, k := range p.kids.m {
		if k.gone {
			continue
		}
		if k.seen {
			if err := ptraceInterrupt(k.pid); err != nil {
				p.cleanKid(k.pid)
				p.dropKid(k)
				continue
			}
		}
		ws, ok := p.waitKid(k.pid, time.Now().Add(kidReleaseWait))
		if !ok {
			p.cleanKid(k.pid)
			logflags.DebuggerLogger().Warnf("dlv-listen backend: child %d of process %d did not stop within %v: cleaned, left to the kernel", k.pid, p.pid, kidReleaseWait)
			continue
		}
		stop := decodeReport(k.pid, ws)
		if stop.Kind == listenmode.KindGroupStop {
			stopped[k.pid] = true
		}
		p.kidStop(k, stop, true)
	}
	p.kids.m = nil
	return stopped
}

// releaseVforkWaiters detaches the threads that waited for a vfork child
// once they come out of the wait (the child, let go, execs or exits); a
// thread whose child is stopped, or that still waits after a short while,
// is left to the kernel, which detaches it when the tracer thread exits.
// Tracer thread.
func (p *Process) releaseVforkWaiters(stopped map[int]bool) {
	deadline := time.Now().Add(kidReleaseWait)
	for _, th := range p.threadSlice() {
		if !th.waitsForVfork() {
			continue
		}
		if stopped[th.vfork.kid] {
			continue // the child stays stopped: its parent waits on
		}
		ws, ok := p.waitVforkDone(th, deadline)
		if !ok {
			continue
		}
		t, stop := p.reap(th.ID, ws)
		if t == nil {
			continue
		}
		var sig unix.Signal
		if stop.Kind == listenmode.KindSignal {
			sig = stop.Signal
		}
		_ = ptraceDetach(th.ID, sig)
	}
}
