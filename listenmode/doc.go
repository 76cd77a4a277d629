// Package listenmode is dlv-listen's pure job-control model.
//
// It owns the layer between the kernel's reports and the backend's actions:
// it decodes what wait(2) and PTRACE_GETSIGINFO say about a seized thread
// (Decode), decides what resuming that thread means — PTRACE_CONT with which
// signal, PTRACE_LISTEN, or hold it for the debugger (Policy.React and
// Resume) — and tracks the job-control state of the whole process across
// its threads, emitting one event per process transition, not one per
// thread (Tracker). A Job combines the states of the processes of one
// process group the way a shell does, emitting one event when the whole
// job stops or continues (Job).
//
// It makes no system call and imports no Delve package: the backend
// observes and acts, this package decides. The kernel rules it encodes are
// those of ptrace(2) for PTRACE_SEIZE'd tracees (Linux 3.4+, with the
// PTRACE_LISTEN race fix of 4.11) and are cited where they are used.
package listenmode
