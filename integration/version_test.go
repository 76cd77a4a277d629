//go:build linux

package integration

import (
	"debug/buildinfo"
	"testing"
)

// TestVersionDoesNotPromptVSCode checks what vscode-go reads before it
// starts a Delve binary: the main module's version in `go version -m`
// (the fourth tab-separated field of the third line). vscode-go offers to
// replace a dlv older than v1.8.3 and leaves "(devel)" alone; a build from a
// clone of this repository, with no release tag, must say "(devel)". The
// record is read with debug/buildinfo, which `go version -m` prints, so the
// test needs no go command (the arm64 virtual machine has none).
func TestVersionDoesNotPromptVSCode(t *testing.T) {
	info, err := buildinfo.ReadFile(dlvListen)
	if err != nil {
		t.Fatalf("build information of %s: %v", dlvListen, err)
	}
	if info.Main.Path != "github.com/dlv-listen/dlv-listen" {
		t.Fatalf("main module of %s is %q, want github.com/dlv-listen/dlv-listen", dlvListen, info.Main.Path)
	}
	if v := info.Main.Version; v != "(devel)" {
		t.Errorf("the main module's version is %q: vscode-go would offer to replace dlv-listen with Delve", v)
	}
}
