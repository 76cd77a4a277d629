//go:build linux

package integration

import (
	"fmt"
	"testing"
)

// TestMatrix runs the job-control matrix against dlv-listen: every row
// must hold. integration/compare runs it against stock dlv too.
func TestMatrix(t *testing.T) {
	for _, s := range Matrix {
		t.Run(fmt.Sprintf("%02d-%s", s.N, s.Name), func(t *testing.T) {
			s.Run(t, FlavorDlvListen)
		})
	}
}
