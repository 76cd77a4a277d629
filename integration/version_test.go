//go:build linux

package integration

import (
	"os/exec"
	"strings"
	"testing"
)

// TestVersionDoesNotPromptVSCode checks what vscode-go reads before it
// starts a Delve binary: the main module's version in `go version -m`
// (the fourth tab-separated field of the third line). vscode-go offers to
// replace a dlv older than v1.8.3 and leaves "(devel)" alone; a build from a
// clone of this repository, with no release tag, must say "(devel)".
func TestVersionDoesNotPromptVSCode(t *testing.T) {
	out, err := exec.Command(goTool(), "version", "-m", dlvListen).Output()
	if err != nil {
		t.Fatalf("go version -m %s: %v", dlvListen, err)
	}
	lines := strings.Split(string(out), "\n")
	if len(lines) < 3 {
		t.Fatalf("go version -m printed %q", out)
	}
	fields := strings.Split(lines[2], "\t")
	if len(fields) < 4 || fields[1] != "mod" {
		t.Fatalf("third line of go version -m is %q, want the main module", lines[2])
	}
	if v := fields[3]; v != "(devel)" {
		t.Errorf("the main module's version is %q: vscode-go would offer to replace dlv-listen with Delve", v)
	}
}
