//go:build linux

package integration

// A whole-job attach follows the children the job's processes start: a
// spawner started as a job of bash, attached with --job, stops in a child
// at a breakpoint only the child has, with no `target follow-exec` typed.

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestJobAttachFollowsChildren(t *testing.T) {
	sh := StartShell(t, "bash")
	spawner, counter := Program(t, "spawner"), Program(t, "counter")
	// Files relative to the shell's directory: a command line wider than
	// the terminal would be redrawn by bash's line editor.
	c := &Counter{Path: filepath.Join(sh.Dir, "c")}
	report := filepath.Join(sh.Dir, "report")
	j := sh.StartJob(t, fmt.Sprintf("%s -out c -period 20ms -exec %s -- -out cc -iterations 2 -workers 0 >report", spawner, counter))
	c.Pid = j.Pid
	c.WaitAdvance(t, EventTimeout)

	d := attachJob(t, j.Pid)
	if out := d.Command("target follow-exec", CmdTimeout); !strings.Contains(out, "Follow exec is enabled.") {
		t.Fatalf("target follow-exec after attach --job: %q, want it on", out)
	}
	feSuspendedBreak(t, d, "main.tick")
	child, _ := feStopInChild(t, d, j.Pid, "main.tick")
	if n := fePrintInt(t, d, "n"); n != 1 {
		t.Fatalf("child %d: n = %d, want 1", child, n)
	}
	d.Command("clearall", CmdTimeout)
	d.Detach(t)
	WaitUntraced(t, j.Pid, "running", EventTimeout)
	c.WaitAdvance(t, EventTimeout)
	// The spawner's report of the child: it ran to its end.
	end := regexp.MustCompile(fmt.Sprintf(`(?m)^child \d+ pid %d (.*)$`, child))
	var m []string
	WaitProc(t, j.Pid, fmt.Sprintf("the spawner's report of child %d", child), EventTimeout, func(ProcInfo) bool {
		b, _ := os.ReadFile(report)
		m = end.FindStringSubmatch(string(b))
		return m != nil
	})
	if m[1] != "exit 0" {
		t.Fatalf("child %d: %s, want exit 0", child, m[1])
	}
}
