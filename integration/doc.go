// Package integration is a harness for tests of job-controlled programs
// under a debugger, and dlv-listen's own end-to-end tests built on it.
//
// Layer: tests only. It drives real processes, real shells and the real
// kernel; it mocks nothing.
//
// What it gives a test:
//
//   - A real interactive shell with job control in a pseudo-terminal
//     (StartShell: `bash -i`, `sh -i`, `dash -i`), in which a test types
//     commands and keys (Shell.Command, Job.Fg, Job.Bg, Job.CtrlZ,
//     Job.Kill, Shell.Jobs) and reads what the shell says (Term.Expect,
//     Shell.WaitJobs, Shell.WaitSays).
//   - The kernel's view of a process (Proc: state letter, TracerPid,
//     process group, session, foreground group, pending, blocked, ignored
//     and caught signal masks) and waits on it with deadlines (WaitProc,
//     WaitState, WaitUntraced, WaitGone).
//   - Whether a program ran: a Counter file it rewrites (WaitAdvance,
//     AssertFrozen, Moves).
//   - A debugger attached: the dlv-listen binary or stock dlv in a
//     pty of its own (Attach, StartDebugger, with DebuggerOptions.Args and
//     ExtraArgs as the way to start other front ends), or dlv-listen
//     in-process on its session layer with typed job-control events
//     (AttachSession).
//   - The job-control Matrix of scenarios, run against dlv-listen by
//     TestMatrix and against stock dlv by integration/compare.
//
// Every process a helper starts dies with the test: each has a
// parent-death signal (forked from one OS thread that never exits, since
// PR_SET_PDEATHSIG follows the forking thread), each pty session and
// process group is registered with a watchdog process that SIGKILLs it if
// the test binary dies without cleaning up (a timeout panic, SIGKILL), and
// t.Cleanup kills whatever is left when a test ends, passed or failed. See
// internal/procguard.
//
// All waits poll a condition with a deadline (Poll, EventTimeout,
// CmdTimeout, StartTimeout); none sleeps to synchronise.
package integration
