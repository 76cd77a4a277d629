package integration

import (
	"fmt"
	"strconv"
	"testing"

	"github.com/dlv-listen/dlv-listen/internal/testprog"
)

// TestTargetFollowExecBadRegex: 'target follow-exec -on REGEX' with an
// invalid regex says so in one line naming it (Delve's terminal drops the
// error, stock dlv says nothing) and leaves follow-exec off; the session
// goes on.
func TestTargetFollowExecBadRegex(t *testing.T) {
	job := testprog.Start(t, "counter")
	tm := startDlv(t, "attach", strconv.Itoa(job.Pid))
	out := tm.Command("target follow-exec -on child(", CmdTimeout)
	if !regexpMatch(`(?m)^Command failed: invalid follow-exec regex "child\(": [^\n]*\n`, out) {
		t.Errorf("target follow-exec -on child(: %q", out)
	}
	if out := tm.Command("target follow-exec", CmdTimeout); !regexpMatch(`Follow exec is disabled\.`, out) {
		t.Errorf("target follow-exec after the refusal: %q", out)
	}
	tm.Command("target follow-exec -on child", CmdTimeout)
	if out := tm.Command("target follow-exec", CmdTimeout); !regexpMatch(`Follow exec is enabled\.`, out) {
		t.Errorf("target follow-exec after -on child: %q", out)
	}
	if out := tm.Command("target list", CmdTimeout); !regexpMatch(fmt.Sprintf(`(?m)^\*\s+%d\s+\S+counter -out `, job.Pid), out) {
		t.Errorf("target list: %q", out)
	}
	tm.SendLine("detach")
	tm.Expect(fmt.Sprintf("detached from process %d", job.Pid), CmdTimeout)
	if st := tm.Wait(CmdTimeout); st != 0 {
		t.Fatalf("dlv-listen exited with status %d after detach", st)
	}
	WaitUntraced(t, job.Pid, "running", EventTimeout)
}
