//go:build linux

package integration

import (
	"fmt"
	"os"
	"testing"
)

// shellMisses are the matrix rows that fail now and then because the shell,
// not the debugger, misses a change of its job: run them with
// DLV_LISTEN_MATRIX=all. Row 9: after `kill -KILL %1` of a stopped job, bash
// 5.2 sometimes never reports it: 2 of 24 full-suite runs here, where
// KernelView showed the program a zombie, untraced, bash's child, and no
// SIGCHLD pending in bash, which sat in poll. The same happens with no
// debugger at all: a plain Go program started from bash -i, `kill -STOP
// %1`, `jobs` typed every 20 ms until Stopped, `kill -KILL %1`, `jobs` again:
// bash never said Killed and left its zombie child unreaped, in two tries at
// the 38th and at the 5th round (one core kept busy). Polling with an
// external command before `jobs`, which makes bash wait for its children,
// did not cure it: once bash never saw the job stop (round 87).
var shellMisses = map[int]bool{9: true}

// TestMatrix runs the job-control matrix against dlv-listen: every row
// must hold. integration/compare runs it against stock dlv too.
func TestMatrix(t *testing.T) {
	for _, s := range Matrix {
		t.Run(fmt.Sprintf("%02d-%s", s.N, s.Name), func(t *testing.T) {
			if shellMisses[s.N] && os.Getenv("DLV_LISTEN_MATRIX") != "all" {
				t.Skipf("row %d: bash itself sometimes misses this change of its job (see shellMisses); DLV_LISTEN_MATRIX=all runs it", s.N)
			}
			s.Run(t, FlavorDlvListen)
		})
	}
}
