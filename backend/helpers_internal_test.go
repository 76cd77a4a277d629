package backend

import (
	"testing"

	"github.com/go-delve/delve/pkg/proc"
)

// attachInternal attaches to pid for a test that reaches into the backend
// (package backend), detaching at the end if the process is still there.
func attachInternal(t *testing.T, pid int) (*proc.TargetGroup, *Process) {
	t.Helper()
	grp, err := Attach(pid, nil, nil)
	if err != nil {
		t.Fatalf("attach %d: %v", pid, err)
	}
	t.Cleanup(func() {
		if ok, _ := grp.Valid(); ok {
			_ = grp.Detach(false)
		}
	})
	p, _ := Of(grp)
	return grp, p
}
