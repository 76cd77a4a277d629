//go:build linux

package integration

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/dlv-listen/dlv-listen/internal/testprog"
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
	dir, err := os.MkdirTemp("", "dlv-listen-integration-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "integration:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	defer testprog.RemoveBuilds()

	if bin := os.Getenv(prebuiltBinEnv); bin != "" {
		// Built beforehand: a machine without a Go toolchain (the arm64 VM).
		dlvListen = bin
		return m.Run()
	}
	dlvListen = filepath.Join(dir, "dlv-listen")
	build := exec.Command(goTool(), "build", "-o", dlvListen, "./cmd/dlv-listen")
	build.Dir = moduleRoot
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "integration: building dlv-listen: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// prebuiltBinEnv names an environment variable holding the path of a
// dlv-listen binary to test instead of building one.
const prebuiltBinEnv = "DLV_LISTEN_BIN"

func goTool() string {
	p := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(p); err == nil {
		return p
	}
	return "go"
}
