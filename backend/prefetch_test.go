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
// given debug information it does not load: the ended child's, or, when
// there is none, the load started ahead at the earlier child's exec; and
// it still stops at its breakpoint. Once the file is replaced, what was
// loaded from the old one is dropped, and the child loads its own.
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
	g := p.g
	// stopInChild continues to the next child's breakpoint and checks
	// the spares used (all, and those ended children left) and dropped.
	stopInChild := func(round int, used, recycled, dropped int32) *Process {
		t.Helper()
		if err := grp.Continue(); err != nil {
			t.Fatalf("child %d: continue: %v", round, err)
		}
		th := grp.Selected.CurrentThread()
		loc, err := proc.ThreadLocation(th)
		if err != nil || loc.Fn == nil || loc.Fn.Name != "main.childWork" || grp.Selected.Pid() == job.Pid {
			t.Fatalf("child %d: stopped in process %d at %+v (%v), want main.childWork in a child", round, grp.Selected.Pid(), loc, err)
		}
		u, r, d := g.sparesUsed.Load(), g.sparesRecycled.Load(), g.sparesDropped.Load()
		if u != used || r != recycled || d != dropped {
			t.Fatalf("child %d: %d spares used (%d of ended children), %d dropped; want %d (%d), %d", round, u, r, d, used, recycled, dropped)
		}
		return g.process(grp.Selected.Pid())
	}
	spareOf := func() *spare {
		g.mu.Lock()
		defer g.mu.Unlock()
		return g.spares[kid]
	}
	// The first child loads its own, and a load starts for the next.
	stopInChild(1, 0, 0, 0)
	if s := spareOf(); s == nil || s.recycled {
		t.Fatalf("child 1: spare %+v, want a load started ahead", s)
	}
	// Every next child gets the one before's, and nothing is loaded.
	stopInChild(2, 1, 1, 0)
	stopInChild(3, 2, 2, 0)
	if s := spareOf(); s != nil {
		t.Fatalf("child 3 got an ended child's debug information, yet a spare (recycled %v) was made", s.recycled)
	}
	// Child 3's is of the old file: dropped for child 4, which loads its
	// own and starts a load ahead.
	copyExecutable(t, kid, kid)
	c4 := stopInChild(4, 2, 2, 1)
	s := spareOf()
	if s == nil || s.recycled {
		t.Fatalf("child 4: spare %+v, want a load started ahead", s)
	}
	<-s.done
	if s.err != nil {
		t.Fatalf("the load ahead: %v", s.err)
	}
	// A child that leaves nothing (here: made so) leaves the load ahead
	// to the next.
	c4.exe = nil
	stopInChild(5, 3, 2, 1)
	stopInChild(6, 4, 3, 1)
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
