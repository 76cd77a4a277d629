// Package backend is dlv-listen's Linux debugger backend under Delve's
// pkg/proc: it implements proc.ProcessGroup, proc.ProcessInternal and
// proc.Thread over PTRACE_SEIZE.
//
// It owns the layer between the kernel and Delve's proc: every ptrace
// request and every wait, thread bookkeeping, registers, memory, software
// and hardware breakpoints. What a stop means for job control is decided by
// package listenmode; this package only observes and acts:
//
//   - threads are seized with PTRACE_SEIZE (options in the SEIZE call) and
//     halted with PTRACE_INTERRUPT, which sends the program no signal;
//   - a thread in group-stop (SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU) is never
//     PTRACE_CONT'ed but PTRACE_LISTEN'ed, so the program stays stopped and
//     the backend learns at once when the group-stop ends;
//   - signals the program receives, stopping signals included, are
//     re-injected, so the group-stop they cause is the program's own;
//   - detach and every other way of letting go remove all breakpoints first
//     and leave the job-control state as it is.
//
// It runs on linux/amd64 and linux/arm64; what differs lives in *_amd64.go
// and *_arm64.go: register access (PTRACE_GETREGS and XSTATE; GETREGSET
// NT_PRSTATUS and NT_PRFPREG), hardware watchpoints (debug registers in the
// user area; NT_ARM_HW_WATCH) and the syscall instruction. The breakpoint
// instruction and whether it moves the PC (int3 does, BRK does not) come
// from proc's Arch.
//
// # Attach without freezing the program
//
// Attach seizes every thread without PTRACE_INTERRUPT: the program keeps
// running while Delve loads its debug information, and every thread is
// stopped only at the first operation that needs a stopped thread. Until
// then the tracer thread serves the program's reports as a continue does
// (new threads, signals re-injected, group-stops listened to), so the
// program does not notice. The calls Delve v1.27.2 makes on the backend,
// in order, and what each costs the program:
//
// proc.TargetGroup's addTarget (NewGroup's AddTargetFunc), in newTarget:
//   - ProcessInternal.EntryPoint: /proc/PID/auxv. Runs free.
//   - BinInfo().LoadBinaryInfo: the executable's file, the slow part
//     (hundreds of ms for 15 MB). Runs free. In a fresh process much of
//     it is page faults on the heap it fills (internal/hugeheap), which
//     is given transparent huge pages before the first load.
//   - GetG(current thread): Thread.Registers via ThreadLocation, then
//     memory reads. Registers needs a stopped thread; proc ignores GetG's
//     error here, so while addTarget runs the backend declines the read
//     (errRunningFree) and the goroutine is selected after the stop with
//     Target.SwitchThread, which calls GetG again: same result as native.
//   - SetBreakpoint for the unrecovered-panic, fatal-throw and plugin.Open
//     breakpoints: FindFunctionLocation (debug info), Memory reads and
//     ProcessInternal.WriteBreakpoint. A software breakpoint is a one-byte
//     int3 store through /proc/PID/mem, atomic for a running thread, which
//     executes either the old byte or the int3. Runs free.
//   - the goroutine cache's init: a linear scan of the DWARF info for
//     runtime.allglen and runtime.allgs (tens to hundreds of ms). Runs free.
//   - setAsyncPreemptOff, only with DisableAsyncPreempt (Attach does not
//     set it): Memory().WriteMemory, which stops the program.
//   - enableBreakpointOnTarget for logical breakpoints: none at attach.
//
// Then Attach reads the shared-object list (memory reads) and loads the
// runtime.g type and the runtime's line table (debug info), both while the
// program runs, stops every thread, and selects the goroutine: when it
// returns every thread is held, as with native, and the thread list is
// the kernel's. The pause is that last step, a few ms of work.
//
// What stops the program if it still runs free: Thread.Registers (outside
// addTarget), SetReg, RestoreRegisters, SetCurrentBreakpoint,
// StepInstruction, ContinueOnce, WriteBreakpoint and EraseBreakpoint of a
// hardware watchpoint (debug registers), Memory().WriteMemory, Detach,
// ProbeJobState. What does not: EntryPoint, BinInfo, Memory().ReadMemory
// (process_vm_readv), software WriteBreakpoint and EraseBreakpoint (the
// tracer pauses serving the program for the store, which must come from
// the tracer thread under CONFIG_PROC_MEM_FORCE_PTRACE), FindThread and
// ThreadList (kept current as threads come and go), Breakpoints, Valid.
//
// A thread that executes one of those breakpoints before the stop (a
// program that panics during the load) is held; at the stop it is put back
// on the int3 (rerunHeldTraps), so it executes it again at the first
// continue and proc sees the hit like any other. A thread the stop
// interrupts just after its int3, its SIGTRAP still queued, is put back
// too and the stale SIGTRAP is swallowed: no SIGTRAP reaches the program.
//
// The job state is learned exactly without a stop: PTRACE_SEIZE of a
// group-stopped thread re-traps it into a PTRACE_EVENT_STOP with the stop
// signal before the call returns, and a running thread reports nothing
// (learnJobState). A stopped process stays stopped (listened to); a stop
// or SIGCONT during the load is observed and published.
//
// # What a stop costs
//
// Counted with perf (raw_syscalls:sys_enter of the debugger process, the
// difference between runs of 10 and 40 iterations, or 20 and 120, of the
// benchmarks in bench_test.go, divided by the extra iterations), Delve's
// native backend in the same test binary. Per thread means per thread of
// the debuggee.
//
// A halt and the resume before it (BenchmarkHalt; 209 threads):
//   - resume: one PTRACE_CONT per thread (PTRACE_LISTEN for a
//     group-stopped one);
//   - the halt request: a channel send to the tracer thread and a SIGCHLD
//     sent to that thread alone (tgkill), which ends its sleep in
//     rt_sigtimedwait; it never sleeps in a blocking wait4;
//   - stop: one PTRACE_INTERRUPT and one wait4 per thread; wait4 names the
//     thread (a direct look-up since Linux 6.3, where wait4(-1) scans
//     every tracee on each call: quadratic), and the tracer sleeps on
//     SIGCHLD only when no thread has stopped yet;
//   - the stray sweep: one stat(2) of /proc/PID/task, whose link count is
//     the kernel's thread count (tableComplete), once the first stop after
//     attach has swept /proc (adoptStrays) and found every thread traced;
//   - settleTraps: a thread that executed an int3 just before our
//     interrupt reached it (its SIGTRAP still queued) is found from its
//     registers. They are no longer read at the stop (one PTRACE_GETREGS
//     per thread, a seventh of a 209-thread halt): the check is made at
//     the first read of a thread's registers (a front end asking for a
//     second thread's gets all of them in one hand-off), or the queued
//     SIGTRAP is taken as the hit when the thread is resumed; a breakpoint
//     is not erased while a thread is unchecked (settle_linux.go). A front
//     end that read them all after one stop (the session does after every
//     stop: each state tells every thread's location) finds them read at
//     the next, at the end of the stop on the tracer thread, until a stop
//     after which it reads no second thread (prefetchRegisters): no
//     hand-off at all;
//   - the registers of the thread the stop reports are read on the tracer
//     before proc gets the stop (readAhead): proc reads them at once, and
//     a hand-off to the tracer thread and back cost more than the
//     PTRACE_GETREGS.
//
// Measured per cycle: ours 731 system calls (ptrace 420, two per thread;
// wait4 215; futex 26), native 3045 (futex 1890, from its hand-off of
// every ptrace request to its ptrace thread; ptrace 418; tgkill 209, a
// SIGSTOP per thread; wait4 209). Before SIGCHLD was limited to sleeps
// (below) and the registers were read at every stop: ours 1318, with
// ptrace 637, futex 263 and rt_sigreturn 81.
//
// A breakpoint round trip (BenchmarkBreakpointRoundTrip; 11 threads, the
// program's own file writes between hits included): the trapped thread
// is moved past the breakpoint, every thread is resumed, the trap is
// reaped, the others are stopped and settled as in a halt, and proc reads
// the trapped thread's registers (cached) and the goroutine
// (process_vm_readv). Moving past the breakpoint is, for the instructions
// breakpoints sit on in Go code (the SUB RSP or PUSH RBP of a function's
// breakpoint, a line's load, store or LEA of the frame, a CALL), done by
// the debugger itself on amd64 (emulate_linux_amd64.go): one
// process_vm_readv of the instruction's bytes, a store if it has one, one
// PTRACE_SETREGS. Any other instruction is stepped by the CPU: two
// pwrite64 of /proc/PID/mem to lift and restore the int3,
// PTRACE_SINGLESTEP, wait4, a wake-up of the thread and its report, 200 us
// and more of a round trip here. Measured: ours 54 system calls (ptrace
// 23, wait4 13, futex 8, rt_sigaction 5.6), against 95 before SIGCHLD was
// limited to sleeps and the registers were read at every stop; native
// 236 (futex 151, ptrace 36, wait4 14, tgkill 11).
//
// A next or a step: proc writes a breakpoint on each line it may land on
// and erases them after (about 55 of each per next in BenchmarkStepNext),
// moves threads past breakpoints and continues as above. Each breakpoint
// is one pwrite64 of /proc/PID/mem made from proc's goroutine
// (plantDirect); it used to be handed to the tracer thread and back,
// about 16 us each here (BenchmarkTracerHandOff), which made most of a
// next's time.
//
// Where the time goes: waking a thread (PTRACE_INTERRUPT of a sleeping
// or running thread, PTRACE_CONT of a stopped one) costs an IPI or a
// context switch, 10 to 15 us each on the 2-CPU virtual machine this was
// measured on, and makes the bulk of a halt of many threads: 3 ms of the
// 4 to 5 ms of a 209-thread halt is issuing the interrupts. PTRACE_GETREGS
// costs about 3 us. The sweep of /proc/PID/task it no longer makes on
// every stop cost about 250 us at 209 threads. Every ptrace-stop sends the
// tracer's process SIGCHLD unless SIGCHLD's action has SA_NOCLDSTOP: a
// delivery to some thread of this process, Go's handler, a goroutine
// hand-off or two, about 60 per 209-thread halt. SA_NOCLDSTOP is now set
// while no tracer sleeps on SIGCHLD (sigchld_linux.go), and SIGCHLD is
// blocked on the tracer thread besides, so the tracer is never
// interrupted by it. While the tracer waits for a report it takes SIGCHLD
// itself in rt_sigtimedwait, woken by the kernel directly (medians of 40
// to 95 us from the stop's SIGCHLD to its reap, against 125 to 290 us
// through os/signal and the Go scheduler; sleep_linux.go). Native pays
// the same wake per thread, plus a signal and its delivery stop per
// thread, and two thread hand-offs per ptrace request.
//
// # Child processes
//
// With follow-exec off, a process the program creates is attached only to
// be let go without our breakpoints (fork_linux.go): a fork(2) child,
// which has a copy of the memory and its int3s, is cleaned and detached at
// its first stop; a vfork child (os/exec), which shares the memory, is
// traced until its exec, its traps on our breakpoints stepped over, but
// only while a breakpoint is planted in code such a child runs (Go's
// runtime and syscall code, or C; forkopts_linux.go): otherwise the kernel
// is not asked to attach it (no PTRACE_O_TRACEVFORK on the threads), and it
// costs the program nothing, as under native. A thread waiting in the
// kernel for its vfork child is not waited for when the world stops; the
// end of its wait is not reported (no PTRACE_O_TRACEVFORKDONE), a stop of
// the world finds it out. A traced child of Go's os/exec costs the program
// two stops: its parent thread's PTRACE_EVENT_VFORK and the child's own
// first stop, where it is let go when none of our breakpoints is on its
// way to execve (native traces no child, and leaves a fork child its
// int3s). The program's own exec is reported too (PTRACE_O_TRACEEXEC):
// with follow-exec on, the new program is taken as a child's is, as a new
// target of the same pid (selfExec, exec_linux.go).
//
// With follow-exec on, every child is traced (and a fork child cleaned)
// until its exec, then handed to a Process of its own with its own tracer
// thread and made a target of proc's group (exec_linux.go); one the regex
// does not match, or that is not a Go program with debug information, is
// let go there. AttachJob makes every Go member of a process group a
// target the same way (job_linux.go). The group resumes its processes
// together and stops them together (group_linux.go): each runs its own
// continue on its own tracer, and the first to stop halts the others.
// A child that execs a program an earlier child ran is given that child's
// debug information once it ended, or one loaded ahead in the background
// when none ended (prefetch_linux.go): a parent that runs the same program
// again and again neither waits for that load at each exec nor pays for
// it, where native loads it for every child.
//
// Job-control transitions are published to subscribers (Process.Subscribe)
// and, under listenmode.PolicyReport, reported to proc as a stop.
//
// Threading: one goroutine locked to an OS thread (the tracer) issues every
// ptrace request and every wait4, with __WNOTHREAD, so the backend reaps
// only its own tracees and a program that embeds it keeps its other
// children's exit statuses. The tracer sleeps on SIGCHLD when it has
// nothing to reap (in rt_sigtimedwait while a continue or a stop waits
// for reports), and a halt request reaches it over a channel, with a
// SIGCHLD to the tracer thread to wake it, so PTRACE_INTERRUPT is issued
// from the right thread while a continue waits. A tracer that waits for
// reports passes through Go's scheduler every few milliseconds, and none
// of its sleeps lasts longer (yieldNow): made of system calls only, it
// looked like a long-running goroutine to Go's sysmon, which then took
// its P and went back to polling every 20 us, taking more CPU per child
// of os/exec than the children's own stops. Each tracer also brings a P
// (GOMAXPROCS) of its own (procs_linux.go), so that one leaving a system
// call does not wait for the scheduler to preempt a goroutine that loads
// debug information.
package backend
