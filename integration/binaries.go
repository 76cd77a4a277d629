//go:build linux

package integration

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dlv-listen/dlv-listen/internal/testprog"
)

// Stock Delve, the version dlv-listen embeds, for comparisons.
const (
	StockDlvPackage = "github.com/go-delve/delve/cmd/dlv"
	StockDlvVersion = "v1.27.2"
)

// NoTelemetryEnv keeps stock dlv from starting Go telemetry's child process
// (it outlives dlv, and an init that does not reap orphans keeps it as a
// zombie). Put it in the environment of every stock dlv.
const NoTelemetryEnv = "GO_TELEMETRY_CHILD=2"

var builds struct {
	mu      sync.Mutex
	dir     string
	results map[string]*buildResult
}

type buildResult struct {
	once sync.Once
	path string
	err  error
}

// buildOnce runs build into a fresh file of the run's build directory at
// most once per key and returns the path.
func buildOnce(key string, build func(out string) error) (string, error) {
	builds.mu.Lock()
	if builds.results == nil {
		builds.results = map[string]*buildResult{}
	}
	r, ok := builds.results[key]
	if !ok {
		r = &buildResult{}
		builds.results[key] = r
	}
	if builds.dir == "" {
		d, err := os.MkdirTemp("", "dlv-listen-harness-")
		if err != nil {
			builds.mu.Unlock()
			return "", err
		}
		builds.dir = d
	}
	dir := builds.dir
	builds.mu.Unlock()
	r.once.Do(func() {
		r.path = filepath.Join(dir, key)
		r.err = build(r.path)
	})
	return r.path, r.err
}

// RemoveBuilds deletes what DlvListen and Program built. Call it from
// TestMain after m.Run.
func RemoveBuilds() {
	builds.mu.Lock()
	defer builds.mu.Unlock()
	if builds.dir != "" {
		os.RemoveAll(builds.dir)
	}
	testprog.RemoveBuilds()
}

// ModuleRoot is the root of the dlv-listen module (the directory holding
// its go.mod), found from this source file or from `go env GOMOD`.
func ModuleRoot(t testing.TB) string {
	t.Helper()
	if _, file, _, ok := runtime.Caller(0); ok {
		root := filepath.Dir(filepath.Dir(file))
		if b, err := os.ReadFile(filepath.Join(root, "go.mod")); err == nil && strings.Contains(string(b), "module github.com/dlv-listen/dlv-listen\n") {
			return root
		}
	}
	out, err := exec.Command(GoTool(), "env", "GOMOD").Output()
	if err != nil || strings.TrimSpace(string(out)) == "" || strings.TrimSpace(string(out)) == os.DevNull {
		t.Fatalf("cannot find the dlv-listen module root (go env GOMOD: %q, %v)", out, err)
	}
	return filepath.Dir(strings.TrimSpace(string(out)))
}

// GoTool is the go command of the running toolchain.
func GoTool() string {
	p := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(p); err == nil {
		return p
	}
	return "go"
}

// DlvListen builds cmd/dlv-listen once per test binary run and returns
// the binary's path.
func DlvListen(t testing.TB) string {
	t.Helper()
	p, err := BuildDlvListen(ModuleRoot(t))
	if err != nil {
		t.Fatalf("building dlv-listen: %v", err)
	}
	return p
}

// BinEnv names a prebuilt dlv-listen binary to use instead of building
// one (BuildDlvListen, DlvListen).
const BinEnv = "DLV_LISTEN_BIN"

// BuildDlvListen is DlvListen for a TestMain: it builds cmd/dlv-listen of
// the module at root once per run, unless $DLV_LISTEN_BIN names a binary.
func BuildDlvListen(root string) (string, error) {
	if p := os.Getenv(BinEnv); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("$%s: %w", BinEnv, err)
		}
		return p, nil
	}
	return buildOnce("dlv-listen", func(out string) error {
		cmd := exec.Command(GoTool(), "build", "-o", out, "./cmd/dlv-listen")
		cmd.Dir = root
		if b, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("%v\n%s", err, b)
		}
		return nil
	})
}

// Program builds one of the project's debuggees, internal/testprog/src/NAME
// (counter, threads, jobprog, ...), without optimisations, once per run.
func Program(t testing.TB, name string) string {
	t.Helper()
	return testprog.Build(t, name)
}

// StockDlv returns Delve's dlv at StockDlvVersion: the copy cached in
// os.UserCacheDir()/dlv-listen-test/dlv-VERSION if it runs, else one
// installed with `go install` (about 30 s) and cached. It skips the test if
// the install fails for want of network access.
func StockDlv(t testing.TB) string {
	t.Helper()
	want := "Version: " + strings.TrimPrefix(StockDlvVersion, "v")
	works := func(bin string) bool {
		cmd := exec.Command(bin, "version")
		cmd.Env = append(os.Environ(), NoTelemetryEnv)
		out, err := cmd.Output()
		return err == nil && strings.Contains(string(out), want)
	}
	cacheDir, err := os.UserCacheDir()
	if err != nil {
		cacheDir = os.TempDir()
	}
	cacheDir = filepath.Join(cacheDir, "dlv-listen-test")
	cached := filepath.Join(cacheDir, "dlv-"+StockDlvVersion)
	if works(cached) {
		return cached
	}
	gobin := t.TempDir()
	install := exec.Command(GoTool(), "install", StockDlvPackage+"@"+StockDlvVersion)
	install.Dir = gobin // outside the module: pkg@version ignores it anyway
	install.Env = append(os.Environ(), "GOBIN="+gobin, "GOFLAGS=")
	start := time.Now()
	out, err := install.CombinedOutput()
	if err != nil {
		if noNetwork(string(out)) {
			t.Skipf("cannot install stock dlv %s (no network?): go install %s@%s: %v\n%s",
				StockDlvVersion, StockDlvPackage, StockDlvVersion, err, out)
		}
		t.Fatalf("go install %s@%s: %v\n%s", StockDlvPackage, StockDlvVersion, err, out)
	}
	t.Logf("installed dlv %s in %v", StockDlvVersion, time.Since(start).Round(time.Second))
	bin := filepath.Join(gobin, "dlv")
	if !works(bin) {
		t.Fatalf("%s version does not say %q", bin, want)
	}
	// Cache it: copy next to the cache path, then rename (atomic for a
	// concurrent test run).
	if err := os.MkdirAll(cacheDir, 0o755); err == nil {
		if data, err := os.ReadFile(bin); err == nil {
			tmp := cached + ".tmp" + strconv.Itoa(os.Getpid())
			if err := os.WriteFile(tmp, data, 0o755); err == nil {
				if err := os.Rename(tmp, cached); err == nil {
					return cached
				}
				os.Remove(tmp)
			}
		}
	}
	return bin // not cached: the copy in t.TempDir() serves this run
}

// noNetwork tells whether go install failed for want of network access to
// the module proxy (or because module downloads are disabled).
func noNetwork(out string) bool {
	for _, s := range []string{
		"dial tcp", "no such host", "network is unreachable", "connection refused",
		"i/o timeout", "TLS handshake timeout", "GOPROXY=off", "connection reset",
		"Temporary failure in name resolution",
	} {
		if strings.Contains(out, s) {
			return true
		}
	}
	return false
}
