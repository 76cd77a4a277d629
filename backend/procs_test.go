package backend

import (
	"runtime"
	"testing"
	"time"
)

// procsSnapshot is GOMAXPROCS and addProcs's counts, read at once
// (addProcs sets GOMAXPROCS under procs.mu). A tracer of an earlier test
// may still be ending (Process.finish closes it on a goroutine of its
// own) and change them between two reads.
type procsSnapshot struct {
	gomaxprocs, tracers, loads, base int
}

func procsNow() procsSnapshot {
	procs.mu.Lock()
	defer procs.mu.Unlock()
	return procsSnapshot{runtime.GOMAXPROCS(0), procs.tracers, procs.loads, procs.base}
}

// want is GOMAXPROCS as addProcs sets it for these counts.
func (s procsSnapshot) want() int { return s.base + min(s.tracers, maxTracerProcs) + s.loads }

// Every tracer adds a P, up to maxTracerProcs, and takes it back when its
// thread ends.
func TestTracersBringProcs(t *testing.T) {
	before := runtime.GOMAXPROCS(0)
	tracers0 := procsNow().tracers
	trs := make([]*tracer, maxTracerProcs+2)
	for i := range trs {
		trs[i] = newTracer(nil)
		if !trs[i].do(func() {}) {
			t.Fatal("tracer refused a request")
		}
	}
	// More tracers than maxTracerProcs, whatever others still run.
	s := procsNow()
	if s.tracers < len(trs) || s.gomaxprocs != s.want() || s.gomaxprocs != s.base+maxTracerProcs+s.loads {
		t.Fatalf("with %d tracers (%d of this test): GOMAXPROCS %d, want %d (%d, at most %d more, and %d loads)", s.tracers, len(trs), s.gomaxprocs, s.want(), s.base, maxTracerProcs, s.loads)
	}
	if tracers0 == 0 && s.base != before {
		t.Errorf("GOMAXPROCS was %d before the first tracer, counted %d", before, s.base)
	}
	for _, tr := range trs {
		tr.close()
	}
	deadline := time.Now().Add(5 * time.Second)
	for procsNow().tracers > tracers0 {
		if time.Now().After(deadline) {
			t.Fatal("the closed tracers did not give their Ps back within 5s")
		}
		time.Sleep(time.Millisecond)
	}
	if s := procsNow(); s.gomaxprocs != s.want() || (s.tracers == 0 && s.loads == 0 && s.gomaxprocs != s.base) {
		t.Errorf("after the tracers ended: GOMAXPROCS %d, want %d (%d tracers and %d loads left, %d before any)", s.gomaxprocs, s.want(), s.tracers, s.loads, s.base)
	}
}
