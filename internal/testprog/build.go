//go:build linux

package testprog

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

var (
	buildDirOnce sync.Once
	buildDir     string
	buildDirErr  error

	buildMu     sync.Mutex
	buildByName = map[string]*buildResult{}
)

type buildResult struct {
	once sync.Once
	path string
	err  error
}

// PrebuiltDirEnv names an environment variable: when it is set, Build and
// BuildStripped compile nothing and return the binaries of that directory
// instead, built beforehand as `go build -gcflags=all=-N -l -o DIR/<name>`
// (and `-ldflags=-s -w -o DIR/<name>.stripped`). A machine without a Go
// toolchain runs the tests that way: the arm64 virtual machine of
// scripts/arm64-vm-test.sh.
const PrebuiltDirEnv = "DLV_LISTEN_TESTPROG_DIR"

// Build compiles internal/testprog/src/<name> without optimisations or
// inlining (-gcflags=all=-N -l) and returns the path of the binary. Each
// program is built at most once per test-binary run, into a directory
// private to that run (see RemoveBuilds).
func Build(tb testing.TB, name string) string {
	tb.Helper()
	return buildOnce(tb, name, "-gcflags=all=-N -l")
}

// BuildStripped compiles internal/testprog/src/<name> without symbols or
// debug information (-ldflags=-s -w), for tests of what a debugger says
// about such a binary.
func BuildStripped(tb testing.TB, name string) string {
	tb.Helper()
	return buildOnce(tb, name+".stripped", "-ldflags=-s -w")
}

// buildOnce builds the binary file (a program name, with an optional
// ".variant" suffix) with flag, at most once per test-binary run.
func buildOnce(tb testing.TB, file, flag string) string {
	tb.Helper()
	if dir := os.Getenv(PrebuiltDirEnv); dir != "" {
		path := filepath.Join(dir, file)
		if _, err := os.Stat(path); err != nil {
			tb.Fatalf("testprog: prebuilt %s (%s=%s): %v", file, PrebuiltDirEnv, dir, err)
		}
		return path
	}
	buildMu.Lock()
	r, ok := buildByName[file]
	if !ok {
		r = &buildResult{}
		buildByName[file] = r
	}
	buildMu.Unlock()
	r.once.Do(func() { r.path, r.err = build(file, flag) })
	if r.err != nil {
		tb.Fatalf("testprog: building %s: %v", file, r.err)
	}
	return r.path
}

// RemoveBuilds deletes the directory holding the binaries built by Build.
// Call it from TestMain after m.Run if the leftovers matter; Build must not
// be called afterwards.
func RemoveBuilds() {
	buildDirOnce.Do(func() {}) // nothing built yet: make sure none will be created
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
}

func build(file, flag string) (string, error) {
	buildDirOnce.Do(func() {
		buildDir, buildDirErr = os.MkdirTemp("", "testprog-")
	})
	if buildDirErr != nil {
		return "", buildDirErr
	}
	if buildDir == "" {
		return "", fmt.Errorf("build directory already removed")
	}
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	out := filepath.Join(buildDir, file)
	name, _, _ := strings.Cut(file, ".")
	cmd := exec.Command(goTool(), "build", flag, "-o", out, "./internal/testprog/src/"+name)
	cmd.Dir = root
	output, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("%v\n%s", err, output)
	}
	return out, nil
}

func goTool() string {
	p := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(p); err == nil {
		return p
	}
	return "go"
}

// moduleRoot returns the directory holding go.mod: two levels above this
// source file, falling back to `go env GOMOD`.
func moduleRoot() (string, error) {
	if _, file, _, ok := runtime.Caller(0); ok {
		root := filepath.Dir(filepath.Dir(filepath.Dir(file)))
		if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
			if _, err := os.Stat(filepath.Join(root, "internal", "testprog", "src")); err == nil {
				return root, nil
			}
		}
	}
	out, err := exec.Command(goTool(), "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %v", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("cannot find module root (go env GOMOD = %q)", gomod)
	}
	return filepath.Dir(gomod), nil
}
