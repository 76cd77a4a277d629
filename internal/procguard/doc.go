// Package procguard makes sure that nothing a test starts outlives the test
// binary, even when the binary dies without running its cleanups (a test
// timeout's panic, SIGKILL).
//
// Two mechanisms, because neither is enough alone:
//
//   - Pdeathsig: Start and Do run every fork on one dedicated OS thread that
//     never exits, and Prepare sets SysProcAttr.Pdeathsig = SIGKILL. The
//     kernel sends the parent-death signal when the thread that forked the
//     child exits (prctl(2), PR_SET_PDEATHSIG: "the parent" is the creating
//     thread), so forking from an arbitrary goroutine's thread is not safe;
//     a dedicated locked thread is. The signal is cleared in the child's own
//     children (fork(2)), so it covers direct children only.
//   - A watchdog: a copy of the test binary (re-executed from
//     /proc/self/exe; the package's init runs it before any test code)
//     holding the read end of a pipe whose write end only the test binary
//     has. Watch registers a session, a process group or a process with it;
//     when the pipe reaches end of file (the test binary is gone, however it
//     died) the watchdog SIGKILLs everything still registered: whole
//     sessions (a shell, its jobs and their children), process groups,
//     single processes. It covers the grandchildren Pdeathsig misses.
//
// A registration is removed by the func Watch returns, once the test has
// cleaned up itself.
package procguard
