package dap

// DAP thread ids in a session of several processes.
//
// The editor's threads are goroutines, as in dlv, and a goroutine id is
// only unique within its process: every Go program has a goroutine 1. DAP
// thread ids must be unique in the whole debug session, and stay the same
// from one stop to the next (the editor keeps its thread list and the
// selection in it). So:
//
//   - the goroutines of the session's first process (the one launched or
//     attached) keep their goroutine id as thread id, as dlv gives them:
//     a one-process session answers exactly as before;
//   - a goroutine of any other process (a followed child, another member
//     of an attached job) gets an id from a counter that starts at
//     childThreadBase, handed out the first time that (pid, goroutine) is
//     shown and kept for the rest of the session; ids are never reused.
//
// childThreadBase is far above any goroutine id a program reaches (a
// program would have to create 2^30 goroutines), and ids stay below 2^31,
// since some DAP clients keep thread ids in 32-bit integers. A thread that
// runs no goroutine (goroutine id 0) of another process is mapped the same
// way; -1, "no goroutine named", stays -1 and means the selected process.

import (
	"fmt"
	"sync"
)

const childThreadBase = 1 << 30

// procGoroutine is one goroutine of one process.
type procGoroutine struct {
	pid  int
	goid int64
}

// threadIDs maps DAP thread ids to goroutines of processes and back.
type threadIDs struct {
	mu       sync.Mutex
	firstPid int
	next     int
	byKey    map[procGoroutine]int
	byID     map[int]procGoroutine
}

// init sets the first process, whose goroutine ids are their own thread
// ids.
func (t *threadIDs) init(firstPid int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.firstPid = firstPid
	t.next = childThreadBase
	t.byKey = map[procGoroutine]int{}
	t.byID = map[int]procGoroutine{}
}

// id returns the DAP thread id of goroutine goid of process pid.
func (t *threadIDs) id(pid int, goid int64) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	if pid == t.firstPid || pid == 0 || t.byKey == nil {
		return int(goid)
	}
	k := procGoroutine{pid, goid}
	if id, ok := t.byKey[k]; ok {
		return id
	}
	id := t.next
	t.next++
	t.byKey[k] = id
	t.byID[id] = k
	return id
}

// lookup returns the process and goroutine of DAP thread id.
func (t *threadIDs) lookup(id int) (procGoroutine, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if id < 0 {
		// No goroutine named (an evaluate without a frame): the
		// selected process's current one, wherever it is.
		return procGoroutine{0, int64(id)}, nil
	}
	if id < childThreadBase {
		return procGoroutine{t.firstPid, int64(id)}, nil
	}
	k, ok := t.byID[id]
	if !ok {
		return procGoroutine{}, fmt.Errorf("unknown thread id %d", id)
	}
	return k, nil
}

// several reports whether a goroutine of a process other than the first
// was ever shown: a request's thread may then be of another process than
// the selected one.
func (t *threadIDs) several() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.next > childThreadBase
}

// forget drops the ids of an exited process's goroutines: a long session
// with many short-lived children keeps only the live ones. Ids are still
// never handed out again.
func (t *threadIDs) forget(pid int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for k, id := range t.byKey {
		if k.pid == pid {
			delete(t.byKey, k)
			delete(t.byID, id)
		}
	}
}
