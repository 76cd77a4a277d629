package backend_test

// The stopAll hang found under load: a thread that is created and exits
// between two of the tracer's wait4 calls can have its first stop and its
// exit reaped before the PTRACE_EVENT_CLONE report of the thread that made
// it (wait(2) walks the newest tracees first). The clone report then
// named a thread that no longer existed, the backend registered it as
// running, and stopping the world waited for it forever.

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dlv-listen/dlv-listen/internal/testprog"
)

// churnRounds is the number of continue/halt rounds: DLV_LISTEN_CHURN_ROUNDS
// scales it up (the default keeps the test to a few seconds).
func churnRounds(t *testing.T, def int) int {
	if v := os.Getenv("DLV_LISTEN_CHURN_ROUNDS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			t.Fatalf("DLV_LISTEN_CHURN_ROUNDS=%q: want a positive number", v)
		}
		return n
	}
	return def
}

// spinCPU keeps n goroutines busy until the test ends, so the tracer thread
// competes for the CPU as it did when the hang was seen (a build running
// beside the tests).
func spinCPU(t *testing.T, n int) {
	var stop atomic.Bool
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for x := 0; !stop.Load(); x++ {
				if x%1024 == 0 {
					runtime.Gosched()
				}
			}
		}()
	}
	t.Cleanup(func() { stop.Store(true); wg.Wait() })
}

// tasksOf lists the thread ids of pid.
func tasksOf(t *testing.T, pid int) map[int]bool {
	t.Helper()
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		t.Fatalf("list threads of %d: %v", pid, err)
	}
	tids := make(map[int]bool, len(ents))
	for _, e := range ents {
		if tid, err := strconv.Atoi(e.Name()); err == nil {
			tids[tid] = true
		}
	}
	return tids
}

func TestStopAllUnderThreadChurn(t *testing.T) {
	job := testprog.Start(t, "threads", "-threads", "4", "-churn", "-fast")
	s := jcAttach(t, job)
	spinCPU(t, 1)
	rounds := churnRounds(t, 600)
	start := time.Now()
	for i := 0; i < rounds; i++ {
		c := s.continueAsync()
		// Let it run at least one tick (a millisecond), creating threads.
		n := job.Counter()
		deadline := time.Now().Add(jcTimeout)
		for job.Counter() == n {
			if time.Now().After(deadline) {
				t.Fatalf("round %d: the program did not run within %v", i, jcTimeout)
			}
			time.Sleep(100 * time.Microsecond)
		}
		c.halt()
		// Every thread the backend holds exists: none is a thread that
		// came and went before its creator's clone report.
		tasks := tasksOf(t, job.Pid)
		for _, th := range s.tgt.ThreadList() {
			if !tasks[th.ThreadID()] {
				t.Fatalf("round %d: the backend lists thread %d, which pid %d does not have", i, th.ThreadID(), job.Pid)
			}
		}
		if r := s.p.Repairs(); len(r) > 0 {
			t.Fatalf("round %d: stopping the world needed repairs: %q", i, r)
		}
	}
	t.Logf("%d continue/halt rounds under thread churn in %v", rounds, time.Since(start).Round(time.Millisecond))
}
