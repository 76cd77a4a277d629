//go:build linux

package integration

// Same-user protection of the headless server: a client running as
// another user (nobody) is refused over TCP and over a unix socket, and
// the server keeps serving; --only-same-user=false lets it in.

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"syscall"
	"testing"
	"time"

	"github.com/dlv-listen/dlv-listen/internal/testprog"
)

// nobodyUID is the uid (and gid) of the user "nobody" on Linux.
const nobodyUID = 65534

// publicDlvListen is a copy of the binary under test that nobody may run
// (the test's temporary directories are private to root), removed at
// cleanup.
func publicDlvListen(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "dlv-listen-public-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	data, err := os.ReadFile(dlvListen)
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "dlv-listen")
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return bin
}

// nobodyConnect runs `dlv-listen connect addr` as nobody with stdin a
// pipe, and returns the command, the pipe and its output buffer.
func nobodyConnect(t *testing.T, bin, addr string) (*exec.Cmd, io.WriteCloser, *server) {
	t.Helper()
	home := t.TempDir()
	os.Chmod(home, 0o777)
	cmd := exec.Command(bin, "connect", addr)
	cmd.Dir = "/"
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + home, "XDG_CONFIG_HOME=" + home, "TERM=dumb"}
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Credential: &syscall.Credential{Uid: nobodyUID, Gid: nobodyUID},
		Pdeathsig:  syscall.SIGKILL,
	}
	out := newServer(t, "dlv-listen connect (as nobody)", cmd)
	cmd.Stdout = lockedWriter{out}
	cmd.Stderr = lockedWriter{out}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %v as nobody: %v", cmd.Args, err)
	}
	go func() {
		out.err = cmd.Wait()
		close(out.exited)
	}()
	t.Cleanup(func() {
		stdin.Close()
		if out.running() {
			cmd.Process.Kill()
			<-out.exited
		}
		if t.Failed() {
			t.Logf("nobody's client output:\n%s", out.output())
		}
	})
	return cmd, stdin, out
}

// publicSocketDir is a directory where nobody may connect to a socket.
func publicSocketDir(t *testing.T) string {
	dir, err := os.MkdirTemp("", "dlv-listen-sock-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestHeadlessOtherUser(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("running a client as nobody needs root")
	}
	bin := publicDlvListen(t)
	for _, tc := range []struct {
		name   string
		listen func(t *testing.T) string
	}{
		{"tcp", func(*testing.T) string { return "127.0.0.1:0" }},
		{"unix", func(t *testing.T) string { return "unix:" + filepath.Join(publicSocketDir(t), "sock") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			job := testprog.Start(t, "counter")
			run := func(t *testing.T, onlySameUser bool) *server {
				srv := startServer(t, "dlv-listen", dlvListen, "attach", pidArg(job.Pid), "--headless", "--accept-multiclient",
					"--listen="+tc.listen(t), fmt.Sprintf("--only-same-user=%v", onlySameUser))
				if path, ok := cutUnix(srv.addr); ok {
					// The permissions of the file must not be what
					// refuses nobody: only the server's check.
					if err := os.Chmod(path, 0o777); err != nil {
						t.Fatal(err)
					}
				}
				return srv
			}

			srv := run(t, true)
			_, _, client := nobodyConnect(t, bin, srv.addr)
			if st := client.wait(CmdTimeout); st == 0 {
				t.Errorf("nobody's client exited with status 0, want a refusal")
			}
			client.waitOutput(regexp.MustCompile(`dlv-listen: connect to \S+: the server does not answer`), CmdTimeout)
			srv.waitOutput(regexp.MustCompile(fmt.Sprintf(`closing connection from .*\(uid %d, ours 0\): connections are only accepted from the same user`, nobodyUID)), CmdTimeout)
			// Still serving its own user.
			c := srv.dial(t)
			if st, err := c.GetState(); err != nil || st.Pid != job.Pid {
				t.Fatalf("same-user client after the refusal: %+v, %v", st, err)
			}
			if err := c.Detach(false); err != nil {
				t.Fatalf("Detach: %v", err)
			}
			srv.wait(10 * time.Second)
			waitUntracedPid(t, job.Pid, 5*time.Second)

			// --only-same-user=false lets nobody in.
			srv = run(t, false)
			_, stdin, client := nobodyConnect(t, bin, srv.addr)
			fmt.Fprintln(stdin, "jobs")
			client.waitOutput(regexp.MustCompile(fmt.Sprintf(`process %d is running`, job.Pid)), CmdTimeout)
			if regexp.MustCompile(`closing connection`).MatchString(srv.output()) {
				t.Errorf("--only-same-user=false still refused a connection:\n%s", srv.output())
			}
			client.cmd.Process.Kill()
			c = srv.dial(t)
			if err := c.Detach(false); err != nil {
				t.Fatalf("Detach: %v", err)
			}
			srv.wait(10 * time.Second)
			waitUntracedPid(t, job.Pid, 5*time.Second)
			job.WaitAdvance(t, 5*time.Second)
		})
	}
}

func cutUnix(addr string) (string, bool) {
	const prefix = "unix:"
	if len(addr) > len(prefix) && addr[:len(prefix)] == prefix {
		return addr[len(prefix):], true
	}
	return "", false
}
