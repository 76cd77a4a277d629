package debugger

// Sessions are made here, and only here: every front end (the terminal, the
// headless JSON-RPC server, the DAP server) builds, attaches and launches
// through these functions, so a session starts and ends the same way
// whichever front end asked.

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/go-delve/delve/pkg/config"
	"github.com/go-delve/delve/pkg/proc"

	"github.com/dlv-listen/dlv-listen/backend"
)

// LaunchConfig says how a launched program is started.
type LaunchConfig struct {
	WorkingDir string
	// Redirects are the stdin, stdout and stderr paths, as dlv's -r ("" =
	// inherit).
	Redirects [3]string
	// Stdout and Stderr are an alternative to Redirects[1] and [2]: files
	// or pipes (the DAP server turns them into output events). They win
	// when set.
	Stdout, Stderr proc.OutputRedirect
	TTY            string
	DisableASLR    bool
	// Foreground starts the program in its own process group owning the
	// terminal (the terminal front end hands it back and forth).
	Foreground bool
}

// Build compiles pkg (an import path or directory, "" = ".") as dlv does
// for debug and test: `go build` (or `go test -c` when test) with
// -gcflags='all=-N -l' and buildFlags (dlv's --build-flags syntax, quoted
// fields allowed), writing out, in directory wd ("" = ours). The error names
// the package and carries the compiler's output.
func Build(pkg, out string, test bool, buildFlags, wd string) error {
	if pkg == "" {
		pkg = "."
	}
	args := []string{"build"}
	if test {
		args = []string{"test", "-c"}
	}
	args = append(args, "-o", out, "-gcflags=all=-N -l")
	args = append(args, config.SplitQuotedFields(buildFlags, '\'')...)
	args = append(args, pkg)
	cmd := exec.Command("go", args...)
	cmd.Dir = wd
	output, err := cmd.CombinedOutput()
	if err != nil {
		msg := strings.TrimSpace(string(output))
		if msg == "" {
			msg = err.Error()
		}
		return fmt.Errorf("build %s: %s", pkg, msg)
	}
	if test {
		// go test -c writes nothing for a package without test files.
		if _, err := os.Stat(out); err != nil {
			return fmt.Errorf("build %s: no test files: go test -c wrote no binary", pkg)
		}
	}
	return nil
}

// Attach starts a session on the running process pid. The backend checks
// the pid (exists, ours to trace, a Go program with debug information)
// before it touches the process. cfg.AttachPid is set to pid; an empty
// cfg.Executable becomes /proc/<pid>/exe. With cfg.Job the session takes
// every process of pid's process group and follows the children they
// start; the members left alone are named in one of Warnings. With
// cfg.FollowExec, follow-exec is on from the start.
func Attach(pid int, cfg Config) (*Debugger, error) {
	if cfg.Executable != "" {
		if _, err := os.Stat(cfg.Executable); err != nil {
			return nil, fmt.Errorf("attach %d: executable %w", pid, err)
		}
	}
	// A bad regex is refused before any process is touched.
	if err := checkFollowRegex(cfg.FollowExec || cfg.Job, cfg.FollowExecRegex); err != nil {
		return nil, err
	}
	var (
		grp     *proc.TargetGroup
		skipped []backend.Skipped
		err     error
	)
	if cfg.Job {
		grp, skipped, err = backend.AttachJob(pid, cfg.DebugInfoDirs)
	} else {
		grp, err = backend.Attach(pid, nil, cfg.DebugInfoDirs)
	}
	if err != nil {
		return nil, err
	}
	cfg.AttachPid = pid
	if cfg.Executable == "" {
		// pid may be a member of a job the attach left alone (the shell):
		// the session's executable is its first process's.
		cfg.Executable = fmt.Sprintf("/proc/%d/exe", grp.Selected.Pid())
	}
	d, err := startSession(grp, cfg)
	if err != nil {
		// Nothing was changed in the processes yet: let them go as they were.
		_ = grp.Detach(false)
		return nil, fmt.Errorf("attach %d: %w", pid, err)
	}
	if len(skipped) > 0 {
		d.addWarning("%s", skippedWarning(pid, skipped))
	}
	return d, nil
}

// skippedWarning is the one line that names the members of a job that
// an attach left alone, and why.
func skippedWarning(pid int, skipped []backend.Skipped) string {
	parts := make([]string, len(skipped))
	for i, s := range skipped {
		parts[i] = fmt.Sprintf("%d (%s: %s)", s.Pid, s.Comm, s.Reason)
	}
	noun := "processes"
	if len(skipped) == 1 {
		noun = "process"
	}
	return fmt.Sprintf("attach --job %d: left %d %s of the job undebugged: %s", pid, len(skipped), noun, strings.Join(parts, ", "))
}

// startSession makes the session on a new group and turns follow-exec on
// if cfg asks (a whole job is followed whatever it asks, with its regex).
func startSession(grp *proc.TargetGroup, cfg Config) (*Debugger, error) {
	if cfg.FollowExec || cfg.Job {
		if err := backend.FollowExec(grp, true, cfg.FollowExecRegex); err != nil {
			return nil, err
		}
	}
	return New(grp, cfg)
}

// Launch starts argv[0] (looked up in PATH) held at its first instruction
// and a session on it. cfg.AttachPid is cleared, cfg.Executable and
// cfg.ProcessArgs are set from argv. With cfg.FollowExec, follow-exec is
// on from the start; cfg.Job means nothing here.
func Launch(argv []string, lc LaunchConfig, cfg Config) (*Debugger, error) {
	if len(argv) == 0 {
		return nil, errors.New("launch: no program given")
	}
	cfg.Job = false
	if err := checkFollowRegex(cfg.FollowExec, cfg.FollowExecRegex); err != nil {
		return nil, err
	}
	if len(lc.TTY) > 0 && (lc.Redirects != [3]string{}) {
		return nil, errors.New("launch: can not use -r and --tty together")
	}
	path, err := exec.LookPath(argv[0])
	if err != nil {
		return nil, fmt.Errorf("launch %s: %w", argv[0], err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("launch %s: %w", argv[0], err)
	}
	argv = append([]string{abs}, argv[1:]...)
	var flags proc.LaunchFlags
	if lc.Foreground {
		flags |= proc.LaunchForeground
	}
	if lc.DisableASLR {
		flags |= proc.LaunchDisableASLR
	}
	stdout, stderr := lc.Stdout, lc.Stderr
	if stdout.Path == "" && stdout.File == nil {
		stdout.Path = lc.Redirects[1]
	}
	if stderr.Path == "" && stderr.File == nil {
		stderr.Path = lc.Redirects[2]
	}
	grp, err := backend.Launch(argv, lc.WorkingDir, flags, cfg.DebugInfoDirs, lc.TTY, lc.Redirects[0], stdout, stderr)
	if err != nil {
		return nil, err
	}
	cfg.AttachPid = 0
	cfg.Executable = abs
	cfg.ProcessArgs = argv
	d, err := startSession(grp, cfg)
	if err != nil {
		_ = grp.Detach(true)
		return nil, fmt.Errorf("launch %s: %w", abs, err)
	}
	return d, nil
}

// Core starts a session on corePath, a core file of the program exe, read
// with Delve's core reader (pkg/proc/core): Delve's own dumps and the
// kernel's. Before anything is read it checks both files exist, that exe is
// a Go program and corePath a core file, and after, that the core is one of
// exe; each error is one line naming the file and why.
func Core(exe, corePath string, cfg Config) (*Debugger, error) {
	grp, err := openCore(exe, corePath, cfg.DebugInfoDirs)
	if err != nil {
		return nil, err
	}
	cfg.AttachPid = 0
	cfg.Executable = exe
	cfg.ProcessArgs = []string{exe}
	cfg.CoreFile = corePath
	d, err := New(grp, cfg)
	if err != nil {
		_ = grp.Detach(false)
		return nil, fmt.Errorf("core file %s: %w", corePath, err)
	}
	return d, nil
}

// Close ends the session: a running command is halted first, then the
// process is detached — every breakpoint removed, its job-control state
// kept — or killed. A launched process is always killed, as Delve does.
// Closing a session whose process is already gone is not an error.
func (d *Debugger) Close(kill bool) error {
	// A release on a signal may be letting the process go from another
	// goroutine: the session is over only once it has.
	d.waitRelease()
	if d.goneErr() != nil {
		return nil
	}
	if d.running.Load() {
		_, _ = d.halt()
	}
	if d.goneErr() != nil {
		return nil
	}
	return d.detach(kill)
}

// SetReleaseSignals sets the signals of this program on which the
// session's process is let go at once, from any goroutine — halted, every
// breakpoint removed, detached in its job-control state — after which the
// signal takes its default effect and the program ends. Attach and Launch
// set SIGTERM and SIGHUP. A front end that ends the session itself on
// those signals (a halt, then Close, with no command in flight) sets
// fewer, or none.
func (d *Debugger) SetReleaseSignals(sigs ...os.Signal) {
	if !d.isCore() {
		d.Process().ReleaseOnSignals(sigs...)
	}
}

// waitRelease waits for a release on a signal to finish (see Close); a
// core file has no process to release.
func (d *Debugger) waitRelease() {
	if !d.isCore() {
		d.Process().WaitRelease()
	}
}

// Launched reports whether the session started its process (rather than
// attached to it).
func (d *Debugger) Launched() bool { return d.cfg.AttachPid == 0 }

// Gone returns why the process is no longer debugged (exited, detached,
// killed), or nil while it is.
func (d *Debugger) Gone() error { return d.goneErr() }
