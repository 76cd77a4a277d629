//go:build linux

package integration

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

var (
	// dlvListen is the binary under test, built once by TestMain.
	dlvListen string
	// moduleRoot is the directory holding go.mod.
	moduleRoot string
)

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	if runtime.GOOS != "linux" || (runtime.GOARCH != "amd64" && runtime.GOARCH != "arm64") {
		fmt.Println("integration: dlv-listen supports linux/amd64 and linux/arm64 only; skipping")
		return 0
	}
	wd, err := os.Getwd()
	if err != nil {
		fmt.Fprintln(os.Stderr, "integration:", err)
		return 1
	}
	moduleRoot = filepath.Dir(wd)
	defer RemoveBuilds()
	dlvListen, err = BuildDlvListen(moduleRoot)
	if err != nil {
		fmt.Fprintf(os.Stderr, "integration: building dlv-listen: %v\n", err)
		return 1
	}
	return m.Run()
}
