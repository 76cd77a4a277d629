package backend

import (
	"runtime"
	"testing"
	"time"
)

// wantProcs is GOMAXPROCS as addProcs sets it for the counts now.
func wantProcs() (want, tracers int) {
	procs.mu.Lock()
	defer procs.mu.Unlock()
	return procs.base + min(procs.tracers, maxTracerProcs) + procs.loads, procs.tracers
}

// Every tracer adds a P, up to maxTracerProcs, and takes it back when its
// thread ends.
func TestTracersBringProcs(t *testing.T) {
	before := runtime.GOMAXPROCS(0)
	_, tracers0 := wantProcs()
	trs := make([]*tracer, maxTracerProcs+2)
	for i := range trs {
		trs[i] = newTracer(nil)
		if !trs[i].do(func() {}) {
			t.Fatal("tracer refused a request")
		}
	}
	want, tracers := wantProcs()
	if tracers != tracers0+len(trs) || runtime.GOMAXPROCS(0) != want {
		t.Fatalf("with %d tracers more: GOMAXPROCS %d (tracers counted %d), want %d", len(trs), runtime.GOMAXPROCS(0), tracers, want)
	}
	if tracers0 == 0 && want != before+maxTracerProcs {
		t.Errorf("GOMAXPROCS %d with %d tracers, want %d (%d and at most %d more)", want, tracers, before+maxTracerProcs, before, maxTracerProcs)
	}
	for _, tr := range trs {
		tr.close()
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, n := wantProcs(); n == tracers0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the closed tracers did not give their Ps back within 5s")
		}
		time.Sleep(time.Millisecond)
	}
	if want, _ := wantProcs(); runtime.GOMAXPROCS(0) != want || (tracers0 == 0 && want != before) {
		t.Errorf("after the tracers ended: GOMAXPROCS %d, want %d (%d before)", runtime.GOMAXPROCS(0), want, before)
	}
}
