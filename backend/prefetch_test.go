package backend

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-delve/delve/pkg/proc"

	"github.com/dlv-listen/dlv-listen/internal/testprog"
)

// copyExecutable copies the executable src to dst (a new inode each time).
func copyExecutable(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	tmp := dst + ".tmp"
	if err := os.WriteFile(tmp, b, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		t.Fatal(err)
	}
}

// A followed child that execs the executable an earlier child ran is
// given the debug information loaded ahead for it, and still stops at its
// breakpoint; once the file is replaced, the spare loaded from the old
// one is dropped, and the child loads its own.
func TestFollowExecChildrenLoadAhead(t *testing.T) {
	kid := filepath.Join(t.TempDir(), "kid")
	copyExecutable(t, testprog.Build(t, "spawner"), kid)
	job := testprog.Start(t, "spawner", "-period", "10ms", "-exec", kid, "child", "1")
	grp, p := attachInternal(t, job.Pid)
	if err := FollowExec(grp, true, ""); err != nil {
		t.Fatalf("FollowExec: %v", err)
	}
	lbp := &proc.LogicalBreakpoint{LogicalID: 1, HitCount: map[int64]uint64{}, Set: proc.SetBreakpoint{FunctionName: "main.childWork"}}
	grp.LogicalBreakpoints[1] = lbp
	if err := grp.SetBreakpointEnabled(lbp, true); err != nil {
		t.Fatalf("enable breakpoint: %v", err)
	}
	stopInChild := func(round int) {
		t.Helper()
		if err := grp.Continue(); err != nil {
			t.Fatalf("continue %d: %v", round, err)
		}
		th := grp.Selected.CurrentThread()
		loc, err := proc.ThreadLocation(th)
		if err != nil || loc.Fn == nil || loc.Fn.Name != "main.childWork" || grp.Selected.Pid() == job.Pid {
			t.Fatalf("continue %d: stopped in process %d at %+v (%v), want main.childWork in a child", round, grp.Selected.Pid(), loc, err)
		}
	}
	g := p.g
	for round := 1; round <= 3; round++ {
		stopInChild(round)
	}
	if used, dropped := g.sparesUsed.Load(), g.sparesDropped.Load(); used != 2 || dropped != 0 {
		t.Fatalf("after 3 children: %d spares used, %d dropped; want 2 used (every child after the first), none dropped", used, dropped)
	}
	// The spare for the next child has loaded from this file; replace it.
	g.mu.Lock()
	next := g.spares[kid]
	g.mu.Unlock()
	if next == nil {
		t.Fatalf("no spare is loading for %s", kid)
	}
	<-next.done
	copyExecutable(t, kid, kid)
	stopInChild(4)
	if used, dropped := g.sparesUsed.Load(), g.sparesDropped.Load(); used != 2 || dropped != 1 {
		t.Fatalf("after the executable was replaced: %d spares used, %d dropped; want 2 used, 1 dropped", used, dropped)
	}
	stopInChild(5)
	if used := g.sparesUsed.Load(); used != 3 {
		t.Fatalf("the next child of the new file: %d spares used in all, want 3", used)
	}
	if err := grp.Detach(false); err != nil {
		t.Fatalf("detach: %v", err)
	}
	g.mu.Lock()
	left := len(g.spares)
	g.mu.Unlock()
	if left != 0 {
		t.Errorf("%d spares kept after the session ended", left)
	}
	for _, l := range strings.Split(job.Output(), "\n") {
		if strings.HasPrefix(l, "child ") && strings.Contains(l, " pid ") && !strings.HasSuffix(l, "exit 3") {
			t.Errorf("a child did not end normally: %s", l)
		}
	}
}
