package backend

import (
	"runtime"
	"sync"
)

// The Ps (GOMAXPROCS) this package adds to the process's.
//
// A tracer thread sleeps in system calls (rt_sigtimedwait, waiting for
// reports) and on channels between requests, and a report or a request
// must wake it at once: it is on the path of every stop. Leaving a system
// call, a thread needs a P to go on running Go code (exitsyscall); when
// every P runs a goroutine that does not block (proc loading a child's
// debug information, a variable being evaluated, a mark worker of the
// collector), the tracer waits until the scheduler preempts one, every
// 10 ms (sysmon). ptrace ties a tracer to its thread, so that wait lands
// on every stop of its tracees: a followed child's hand-over waited 20 ms
// for proc's goroutine while it loaded the previous child's debug
// information. So each tracer brings one P, and so does each load of
// debug information ahead of a child (prefetch_linux.go), which is
// CPU-bound for tens of milliseconds: a tracer that wakes finds a P idle,
// and the kernel's scheduler, which switches in microseconds, shares the
// cores.
//
// The Ps added for tracers are bounded by maxTracerProcs: a job of many
// processes has as many tracers, few of them awake at once, and each P is
// one more place for the collector's mark workers (a quarter of
// GOMAXPROCS), which would take the debuggee's cores.
const maxTracerProcs = 4

var procs struct {
	mu             sync.Mutex
	tracers, loads int
	base           int // GOMAXPROCS before the first P was added
}

// addProcs counts tracers and loads started (positive) or ended
// (negative) and sets GOMAXPROCS to match; the process's own value again
// once none is left.
func addProcs(tracers, loads int) {
	procs.mu.Lock()
	defer procs.mu.Unlock()
	if procs.tracers == 0 && procs.loads == 0 {
		procs.base = runtime.GOMAXPROCS(0)
	}
	procs.tracers += tracers
	procs.loads += loads
	if n := procs.base + min(procs.tracers, maxTracerProcs) + procs.loads; n != runtime.GOMAXPROCS(0) {
		runtime.GOMAXPROCS(n)
	}
}
