package backend_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dlv-listen/dlv-listen/backend"
	"github.com/dlv-listen/dlv-listen/internal/testprog"
)

// attachAsNobodyEnv makes the test binary, re-executed as user nobody, try
// to attach to the pid it names and print the error.
const attachAsNobodyEnv = "DLV_LISTEN_TEST_ATTACH_AS_NOBODY"

func attachAsNobody() {
	pid, _ := strconv.Atoi(os.Getenv(attachAsNobodyEnv))
	if _, err := backend.Attach(pid, nil, nil); err != nil {
		fmt.Println(err)
		os.Exit(3)
	}
	fmt.Println("attached")
}

// statLine is /proc/PID/stat's state and TracerPid, what must not change.
// A running process flips between R, S and D by itself: those count as one.
func statLine(t *testing.T, pid int) string {
	t.Helper()
	st, tracer, err := testprog.ProcStat(pid)
	if err != nil {
		t.Fatalf("stat %d: %v", pid, err)
	}
	state := string(st)
	if st == 'R' || st == 'S' || st == 'D' {
		state = "running"
	}
	return fmt.Sprintf("state %s tracer %d", state, tracer)
}

func wantAttachError(t *testing.T, pid int, parts ...string) {
	t.Helper()
	_, err := backend.Attach(pid, nil, nil)
	if err == nil {
		t.Fatalf("attach %d succeeded", pid)
	}
	msg := err.Error()
	if strings.Contains(msg, "\n") {
		t.Errorf("error is not one line: %q", msg)
	}
	for _, p := range append([]string{strconv.Itoa(pid)}, parts...) {
		if !strings.Contains(msg, p) {
			t.Errorf("error %q does not say %q", msg, p)
		}
	}
}

func TestAttachBadInput(t *testing.T) {
	t.Run("zero", func(t *testing.T) { wantAttachError(t, 0, "not a valid process id") })
	t.Run("negative", func(t *testing.T) { wantAttachError(t, -5, "not a valid process id") })
	t.Run("self", func(t *testing.T) { wantAttachError(t, os.Getpid(), "this debugger itself") })
	t.Run("missing", func(t *testing.T) {
		pid := 1 << 22
		if b, err := os.ReadFile("/proc/sys/kernel/pid_max"); err == nil {
			pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		}
		for pid--; pid > 1; pid-- {
			if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); os.IsNotExist(err) {
				break
			}
		}
		wantAttachError(t, pid, "no such process")
	})
	t.Run("zombie", func(t *testing.T) {
		cmd := exec.Command("/bin/sh", "-c", "exit 0")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer cmd.Wait()
		pid := cmd.Process.Pid
		deadline := time.Now().Add(testprog.Timeout(10 * time.Second))
		for st, _, _ := testprog.ProcStat(pid); st != 'Z'; st, _, _ = testprog.ProcStat(pid) {
			if time.Now().After(deadline) {
				t.Fatalf("process %d never became a zombie (state %c)", pid, st)
			}
			time.Sleep(5 * time.Millisecond)
		}
		before := statLine(t, pid)
		wantAttachError(t, pid, "zombie")
		if after := statLine(t, pid); after != before {
			t.Fatalf("zombie's stat changed: %s -> %s", before, after)
		}
	})
	t.Run("thread", func(t *testing.T) {
		job := testprog.Start(t, "counter")
		tids, _ := os.ReadDir(fmt.Sprintf("/proc/%d/task", job.Pid))
		for _, e := range tids {
			if tid, _ := strconv.Atoi(e.Name()); tid != job.Pid {
				wantAttachError(t, tid, fmt.Sprintf("thread of process %d", job.Pid))
				return
			}
		}
		t.Fatal("no second thread")
	})
	t.Run("already-traced", func(t *testing.T) {
		job := testprog.Start(t, "counter")
		attach(t, job.Pid)
		before := statLine(t, job.Pid)
		wantAttachError(t, job.Pid, "already traced by process "+strconv.Itoa(os.Getpid()), "backend.test")
		if after := statLine(t, job.Pid); after != before {
			t.Fatalf("stat changed: %s -> %s", before, after)
		}
	})
	t.Run("permission", func(t *testing.T) {
		if os.Getuid() != 0 {
			t.Skip("needs root to run a helper as another user")
		}
		job := testprog.Start(t, "counter")
		exe, err := os.Executable()
		if err != nil {
			t.Fatal(err)
		}
		// A directory user nobody can enter (t.TempDir's parent is 0700).
		dir, err := os.MkdirTemp("", "dlv-listen-nobody-")
		if err != nil {
			t.Fatal(err)
		}
		defer os.RemoveAll(dir)
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		copyExe := filepath.Join(dir, "backend.test")
		data, err := os.ReadFile(exe)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(copyExe, data, 0o755); err != nil {
			t.Fatal(err)
		}
		before := statLine(t, job.Pid)
		cmd := exec.Command(copyExe, "-test.run=^$")
		cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%d", attachAsNobodyEnv, job.Pid))
		cmd.Dir = dir
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		out, err := cmd.CombinedOutput()
		t.Logf("as nobody: %v: %s", err, out)
		msg := strings.TrimSpace(string(out))
		for _, p := range []string{strconv.Itoa(job.Pid), "permission denied", "CAP_SYS_PTRACE"} {
			if !strings.Contains(msg, p) {
				t.Errorf("as nobody: %q does not say %q", msg, p)
			}
		}
		if after := statLine(t, job.Pid); after != before {
			t.Fatalf("stat changed: %s -> %s", before, after)
		}
		job.WaitAdvance(t, 5*time.Second)
	})
	t.Run("no-debug-info", func(t *testing.T) {
		dir := t.TempDir()
		bin := testprog.BuildStripped(t, "counter")
		counter := filepath.Join(dir, "n")
		cmd := exec.Command(bin, "-out", counter)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() { cmd.Process.Kill(); cmd.Wait() }()
		deadline := time.Now().Add(testprog.Timeout(10 * time.Second))
		for {
			if _, err := os.Stat(counter); err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("stripped counter never wrote its counter")
			}
			time.Sleep(5 * time.Millisecond)
		}
		before := statLine(t, cmd.Process.Pid)
		wantAttachError(t, cmd.Process.Pid, "no debug information", bin)
		if after := statLine(t, cmd.Process.Pid); after != before {
			t.Fatalf("stat changed: %s -> %s", before, after)
		}
		if _, tracer, _ := testprog.ProcStat(cmd.Process.Pid); tracer != 0 {
			t.Fatalf("still traced by %d", tracer)
		}
	})
}

func TestLaunchBadInput(t *testing.T) {
	notExecutable := filepath.Join(t.TempDir(), "data")
	if err := os.WriteFile(notExecutable, []byte("not a program\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		cmd  []string
		want []string
	}{
		{"missing", []string{"/nonexistent/prog"}, []string{"/nonexistent/prog", "no such file"}},
		{"not-in-path", []string{"no-such-program-dlv-listen"}, []string{"no-such-program-dlv-listen", "not found"}},
		{"not-executable", []string{notExecutable}, []string{notExecutable, "permission denied"}},
		{"directory", []string{"/tmp"}, []string{"/tmp"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := backend.Launch(tc.cmd, "", 0, nil, "", "", proc0, proc0)
			if err == nil {
				t.Fatalf("launch %v succeeded", tc.cmd)
			}
			for _, p := range tc.want {
				if !strings.Contains(err.Error(), p) {
					t.Errorf("error %q does not say %q", err, p)
				}
			}
		})
	}
}
