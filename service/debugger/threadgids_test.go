package debugger_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/go-delve/delve/service/api"

	"github.com/dlv-listen/dlv-listen/internal/testprog"
	"github.com/dlv-listen/dlv-listen/service/debugger"
)

// TestThreadGoroutineIDs checks the session's conversion of threads (the
// goroutine IDs read without proc.GetG) against Delve's api.ConvertThread
// on every thread, at breakpoint stops and at halts that catch the
// threads wherever they are: running goroutines, idle threads on their
// system stack, threads locked to sleeping goroutines.
func TestThreadGoroutineIDs(t *testing.T) {
	for _, tc := range []struct {
		prog string
		args []string
		bp   string
	}{
		{"counter", []string{"-period", "0"}, "main.tick"},
		{"threads", []string{"-threads", "12", "-rare", "2"}, "main.rare"},
	} {
		t.Run(tc.prog, func(t *testing.T) {
			job := testprog.Start(t, tc.prog, tc.args...)
			job.WaitSettled(t)
			s := attach(t, job)
			bp, err := s.c.CreateBreakpoint(&api.Breakpoint{FunctionName: tc.bp})
			if err != nil {
				t.Fatal(err)
			}
			withG := 0
			check := func(when string) {
				t.Helper()
				fast, slow, fastPath, err := debugger.ThreadsBothWays(s.d)
				if err != nil {
					t.Fatal(err)
				}
				if !fastPath {
					t.Fatalf("%s: the goroutine IDs of %s's threads were not read directly (no runtime.g layout)", when, tc.prog)
				}
				if len(fast) != len(slow) {
					t.Fatalf("%s: %d threads, ConvertThread %d", when, len(fast), len(slow))
				}
				for i := range fast {
					if !reflect.DeepEqual(fast[i], slow[i]) {
						t.Errorf("%s: thread %d: %+v, api.ConvertThread says %+v", when, slow[i].ID, *fast[i], *slow[i])
					}
					if slow[i].GoroutineID != 0 {
						withG++
					}
				}
			}
			for i := 0; i < 15; i++ {
				st := s.recv(s.cont())
				if st.Err != nil || st.CurrentThread == nil || st.CurrentThread.Breakpoint == nil || st.CurrentThread.Breakpoint.ID != bp.ID {
					t.Fatalf("continue %d: %s, want breakpoint %d", i, describe(st), bp.ID)
				}
				check("at the breakpoint")
			}
			if _, err := s.c.ClearBreakpoint(bp.ID); err != nil {
				t.Fatal(err)
			}
			for i := 0; i < 15; i++ {
				ch := s.cont()
				time.Sleep(time.Duration(i%5) * time.Millisecond) // spread the halts over the program's cycle
				if _, err := s.c.Halt(); err != nil {
					t.Fatal(err)
				}
				if st := s.recv(ch); st.Err != nil {
					t.Fatalf("halt %d: %v", i, st.Err)
				}
				check("after a halt")
			}
			if withG == 0 {
				t.Fatalf("no thread ran a goroutine at any stop: nothing was compared")
			}
		})
	}
}
