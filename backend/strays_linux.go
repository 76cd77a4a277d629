package backend

import (
	"fmt"
	"strconv"

	"golang.org/x/sys/unix"
)

// adoptStrays seizes the threads of the process that nobody traces.
//
// seizeAll cannot close one window: whether a new thread is traced is
// decided when its creator enters clone(2) (kernel_clone reads
// ptrace_event_enabled(current) before copy_process), but the new thread
// appears in /proc/PID/task only when copy_process links it at the end. A
// thread seized while it is inside clone therefore makes an untraced
// thread that no listing taken before the clone returned can show. Such a
// thread runs free of the debugger: it does not stop when the world
// stops, and the first breakpoint it executes delivers a SIGTRAP nobody
// suppresses, which kills a Go program (Delve's fatal-throw breakpoint in
// runtime.fatalsignal traps again inside the handler, SIGTRAP blocked, and
// the kernel resets SIGTRAP to its default action). So the table is
// checked against /proc again before a breakpoint is written while the
// program runs free, and once every thread has been stopped: by then every
// clone begun before its creator was seized has returned. stopAll sweeps
// until a sweep finds none (strayFree); from then on no untraced thread
// can appear, since every new thread is made by a traced one, and a stop
// only checks the count (tableComplete).
//
// A stray is seized and left running, to be interrupted like any other
// thread; one the kernel attached to us (its creator was traced; its
// first stop is not reaped yet) is registered to wait for that stop. Each
// is named in Repairs. It returns how many threads it added. Tracer
// thread.
func (p *Process) adoptStrays() (int, error) {
	tids, err := listTasks(p.pid)
	if err != nil {
		return 0, nil // the process is gone: its exit is being reported
	}
	added := 0
	for _, tid := range tids {
		if p.thread(tid) != nil {
			continue
		}
		if st, err := taskState(p.pid, tid); err != nil || st == 'Z' || st == 'X' {
			// Gone, or exited: a leader whose threads live on stays a
			// zombie (delay_group_leader) and may have been dropped from
			// the table by reconcile; there is nothing to stop.
			continue
		}
		switch err := ptraceSeize(tid, ptraceOptions); err {
		case nil:
			p.newThread(tid, false).isNew = false
			p.repaired("thread %d of process %d was not traced (created as its creator was being seized): seized", tid, p.pid)
			added++
		case unix.EPERM:
			if tracerOf(p.pid, tid) != unix.Gettid() {
				// Another tracer's, or already gone: nothing we can stop.
				continue
			}
			p.newThread(tid, true)
			added++
		case unix.ESRCH:
			// Exited meanwhile.
		default:
			return added, fmt.Errorf("seize thread %d of process %d: %w", tid, p.pid, err)
		}
	}
	return added, nil
}

// tracerOf is the TracerPid of thread tid of pid: the tracing thread's id,
// 0 if none or if the thread is gone.
func tracerOf(pid, tid int) int {
	n, _ := strconv.Atoi(readStatus(fmt.Sprintf("/proc/%d/task/%d/status", pid, tid))["TracerPid"])
	return n
}

// tableComplete reports whether the kernel counts as many threads in the
// process as the table holds. It costs one stat(2): the link count of
// /proc/PID/task is 2 plus the number of threads (proc_task_getattr adds
// get_nr_threads). Both sides count a thread until its exit is reaped, so
// they agree whenever every thread is held and the table is right; if they
// do not (a thread we lost track of, or a zombie leader reconcile
// dropped), stopAll sweeps. Tracer thread.
func (p *Process) tableComplete() bool {
	if p.taskDir == "" {
		p.taskDir = "/proc/" + strconv.Itoa(p.pid) + "/task"
	}
	var st unix.Stat_t
	if err := unix.Stat(p.taskDir, &st); err != nil {
		return true // the process is gone: its exit is being reported
	}
	p.threadsMu.Lock()
	n := len(p.threads)
	p.threadsMu.Unlock()
	return int(st.Nlink)-2 == n
}
