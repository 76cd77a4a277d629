package dap

import "testing"

// TestThreadIDs: the first process's goroutines keep their ids, another
// process's get ids of their own from childThreadBase, stable across
// calls, that lead back to the process and goroutine; the same goroutine
// id in two processes is two threads.
func TestThreadIDs(t *testing.T) {
	var ids threadIDs
	ids.init(100)
	if id := ids.id(100, 7); id != 7 {
		t.Errorf("first process's goroutine 7: id %d, want 7", id)
	}
	if ids.several() {
		t.Error("several processes before any other was shown")
	}
	a, b := ids.id(200, 1), ids.id(300, 1)
	if a < childThreadBase || b < childThreadBase || a == b || a == 1 {
		t.Fatalf("goroutine 1 of processes 200 and 300: ids %d and %d", a, b)
	}
	if again := ids.id(200, 1); again != a {
		t.Errorf("id of (200, 1) changed from %d to %d", a, again)
	}
	for id, want := range map[int]procGoroutine{7: {100, 7}, a: {200, 1}, b: {300, 1}, -1: {0, -1}} {
		got, err := ids.lookup(id)
		if err != nil || got != want {
			t.Errorf("lookup(%d) = %+v, %v; want %+v", id, got, err, want)
		}
	}
	if _, err := ids.lookup(b + 1); err == nil {
		t.Errorf("lookup of an id never handed out: no error")
	}
	if !ids.several() {
		t.Error("several processes shown, several() false")
	}
	ids.forget(200)
	if _, err := ids.lookup(a); err == nil {
		t.Errorf("lookup(%d) of an exited process's goroutine: no error", a)
	}
	if c := ids.id(200, 1); c == a || c < childThreadBase {
		t.Errorf("a goroutine of a new process 200 got id %d (the exited one's was %d)", c, a)
	}
}
