package debugger_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dlv-listen/dlv-listen/service/debugger"
)

// Build as dlv's debug and test: the error names the package and carries
// the compiler's words; a test binary is built with -c; build flags pass.
func TestBuild(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skipf("Build runs the go command: %v", err)
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "bin")
	err = debugger.Build("./integration/testdata/dapbroken", out, false, "", root)
	if err == nil || !strings.Contains(err.Error(), "build ./integration/testdata/dapbroken:") || !strings.Contains(err.Error(), "undefinedOnPurpose") {
		t.Errorf("Build of a broken package: %v; want the package and the compiler's message", err)
	}
	if err := debugger.Build("./integration/testdata/twotests", out, true, "-tags=whatever", root); err != nil {
		t.Fatalf("Build of a test binary: %v", err)
	}
	if st, err := os.Stat(out); err != nil || st.Mode()&0o111 == 0 {
		t.Fatalf("test binary %s: %v", out, err)
	}
	if err := debugger.Build("./no/such/package", out, false, "", root); err == nil || !strings.Contains(err.Error(), "./no/such/package") {
		t.Errorf("Build of a missing package: %v", err)
	}
}

// Attach and Launch refuse bad input with errors that name it.
func TestSessionBadInput(t *testing.T) {
	if _, err := debugger.Attach(0, debugger.Config{}); err == nil || !strings.Contains(err.Error(), "pid 0") {
		t.Errorf("Attach(0): %v", err)
	}
	if _, err := debugger.Attach(os.Getpid(), debugger.Config{Executable: "/no/such/exe"}); err == nil || !strings.Contains(err.Error(), "/no/such/exe") {
		t.Errorf("Attach with a missing executable: %v", err)
	}
	if _, err := debugger.Launch([]string{"/no/such/program"}, debugger.LaunchConfig{}, debugger.Config{}); err == nil || !strings.Contains(err.Error(), "/no/such/program") {
		t.Errorf("Launch of a missing program: %v", err)
	}
	if _, err := debugger.Launch([]string{"/bin/true"}, debugger.LaunchConfig{TTY: "/dev/null", Redirects: [3]string{"in"}}, debugger.Config{}); err == nil || !strings.Contains(err.Error(), "-r and --tty") {
		t.Errorf("Launch with a tty and redirects: %v", err)
	}
}
