package backend_test

import (
	"fmt"
	"go/parser"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/go-delve/delve/pkg/proc"
	"github.com/go-delve/delve/pkg/proc/native"

	"github.com/dlv-listen/dlv-listen/backend"
	"github.com/dlv-listen/dlv-listen/internal/testprog"
)

type launchFunc func(cmd []string, wd string, flags proc.LaunchFlags, debugInfoDirs []string, tty string, stdinPath string, stdoutOR proc.OutputRedirect, stderrOR proc.OutputRedirect) (*proc.TargetGroup, error)

// snapshot is what a user sees at a breakpoint.
type snapshot struct {
	Selected   int64
	Goroutines map[int64][]string // goroutine ID -> stack from its first main.* frame out
	Stack      []string           // the selected goroutine's whole stack
	Vars       map[string]string
}

// snapshotAt launches counter, stops at main.tick when n == 7, steps to the
// line where every local is assigned and records the snapshot.
func snapshotAt(t *testing.T, launch launchFunc, bin string) snapshot {
	t.Helper()
	out := filepath.Join(t.TempDir(), "counter")
	grp, err := launch([]string{bin, "-out", out, "-workers", "3"}, "", 0, nil, "", "", proc.OutputRedirect{}, proc.OutputRedirect{})
	if err != nil {
		t.Fatalf("launch: %v", err)
	}
	defer grp.Detach(true)
	tgt := grp.Selected
	addrs, err := proc.FindFunctionLocation(tgt, "main.tick", 0)
	if err != nil {
		t.Fatal(err)
	}
	cond, err := parser.ParseExpr("n == 7")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tgt.SetBreakpoint(1, addrs[0], proc.UserBreakpoint, cond); err != nil {
		t.Fatal(err)
	}
	if err := grp.Continue(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if err := grp.Next(); err != nil {
			t.Fatal(err)
		}
	}
	s := snapshot{Goroutines: map[int64][]string{}, Vars: map[string]string{}}
	s.Selected = tgt.SelectedGoroutine().ID
	s.Stack = stackNames(t, tgt, tgt.SelectedGoroutine())
	gs, _, err := proc.GoroutinesInfo(tgt, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range gs {
		names := stackNames(t, tgt, g)
		for i, n := range names {
			if strings.HasPrefix(n, "main.") {
				s.Goroutines[g.ID] = names[i:]
				break
			}
		}
	}
	for _, expr := range []string{"n", "label", "doubled", "msg"} {
		s.Vars[expr] = eval(t, tgt, expr).Value.ExactString()
	}
	loc := location(t, tgt)
	s.Vars["line"] = fmt.Sprint(loc.Line)
	return s
}

// Scenario 9: Delve's own native backend and ours agree on goroutine IDs,
// stack function names and variable values at the same breakpoint.
func TestDifferentialWithNative(t *testing.T) {
	bin := testprog.Build(t, "counter")
	// Goroutine IDs are handed out to each P in batches of 16
	// (runtime.goidcache), so they depend on which P ran each go
	// statement. With one P both runs number their goroutines alike.
	t.Setenv("GOMAXPROCS", "1")
	// Native waits with wait4(-1) and could reap any child of this test
	// process: run the two sessions one after the other, never together.
	want := snapshotAt(t, native.Launch, bin)
	got := snapshotAt(t, backend.Launch, bin)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("backends disagree:\nnative: %+v\nours:   %+v", want, got)
	}
	ids := make([]int64, 0, len(got.Goroutines))
	for id := range got.Goroutines {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	if len(ids) != 4 { // main and three workers
		t.Fatalf("main goroutines %v, want 4", ids)
	}
	t.Logf("both backends: selected goroutine %d, stack %v, goroutines %v, vars %v", got.Selected, got.Stack, ids, got.Vars)
}
