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
// Job-control transitions are published to subscribers (Process.Subscribe)
// and, under listenmode.PolicyReport, reported to proc as a stop.
//
// Threading: one goroutine locked to an OS thread (the tracer) issues every
// ptrace request and every wait4, with __WNOTHREAD, so the backend reaps
// only its own tracees and a program that embeds it keeps its other
// children's exit statuses. The tracer sleeps on SIGCHLD when it has
// nothing to reap, and a halt request reaches it over a channel, so
// PTRACE_INTERRUPT is issued from the right thread while a continue waits.
package backend
