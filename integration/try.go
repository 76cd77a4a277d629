//go:build linux

package integration

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// Outcome is how a function run by Try ended.
type Outcome struct {
	OK      bool
	Skipped bool
	Msg     string // the first failure (or skip) message
}

// Try runs fn with a testing.TB that records failures instead of failing
// t: for running a scenario against a debugger that is expected to break
// it (stock dlv in the comparison) and reporting how. Fatal and Skip end fn
// (runtime.Goexit on fn's goroutine, as testing does); logs go to t;
// cleanups fn registers run when t's test ends.
func Try(t testing.TB, fn func(testing.TB)) Outcome {
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(r)
	}()
	<-done
	r.mu.Lock()
	defer r.mu.Unlock()
	return Outcome{OK: !r.failed && !r.skipped, Skipped: r.skipped, Msg: r.msg}
}

type recorder struct {
	testing.TB
	mu      sync.Mutex
	failed  bool
	skipped bool
	msg     string
}

func (r *recorder) note(failed bool, s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.msg == "" {
		r.msg = strings.TrimSpace(s)
	}
	if failed {
		r.failed = true
	} else {
		r.skipped = true
	}
	r.TB.Log("recorded: " + s)
}

func (r *recorder) Fail()          { r.note(true, "failed") }
func (r *recorder) Error(a ...any) { r.note(true, fmt.Sprintln(a...)) }
func (r *recorder) Errorf(f string, a ...any) {
	r.note(true, fmt.Sprintf(f, a...))
}
func (r *recorder) FailNow()       { r.note(true, "failed"); runtime.Goexit() }
func (r *recorder) Fatal(a ...any) { r.note(true, fmt.Sprintln(a...)); runtime.Goexit() }
func (r *recorder) Fatalf(f string, a ...any) {
	r.note(true, fmt.Sprintf(f, a...))
	runtime.Goexit()
}
func (r *recorder) SkipNow()      { r.note(false, "skipped"); runtime.Goexit() }
func (r *recorder) Skip(a ...any) { r.note(false, fmt.Sprintln(a...)); runtime.Goexit() }
func (r *recorder) Skipf(f string, a ...any) {
	r.note(false, fmt.Sprintf(f, a...))
	runtime.Goexit()
}

func (r *recorder) Failed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.failed
}

func (r *recorder) Skipped() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.skipped
}
