package backend

import (
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"

	"github.com/go-delve/delve/pkg/proc"
	"golang.org/x/sys/unix"

	"github.com/dlv-listen/dlv-listen/listenmode"
)

// launchShim holds the new process at a pipe read until it is seized, then
// executes the program in its place. It sends no signal, so none is left
// pending for the program to see, and it keeps the pid, process group and
// controlling terminal the program will have.
// personality(2): 0xffffffff queries; ADDR_NO_RANDOMIZE turns ASLR off.
const (
	personalityQuery = 0xffffffff
	addrNoRandomize  = 0x0040000
)

const launchShim = `read _ <&3 || exit 127; exec 3<&-; exec "$0" "$@"`

// Launch starts cmd traced by PTRACE_SEIZE (never PTRACE_TRACEME, so listen
// mode holds from the start) and returns it held at its execve, before any
// of its own instructions run. It has the signature of Delve's
// native.Launch: wd is the working directory, flags may ask for the
// terminal's foreground and for ASLR off, tty is a terminal to give the
// program, stdinPath and the redirects replace its standard streams.
func Launch(cmd []string, wd string, flags proc.LaunchFlags, debugInfoDirs []string, tty string, stdinPath string, stdoutOR proc.OutputRedirect, stderrOR proc.OutputRedirect) (*proc.TargetGroup, error) {
	if len(cmd) == 0 {
		return nil, errors.New("launch: no program given")
	}
	path, err := exec.LookPath(cmd[0])
	if err != nil {
		return nil, fmt.Errorf("launch %s: %w", cmd[0], err)
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return nil, fmt.Errorf("launch %s: is a directory", path)
	}
	// Only an ELF executable can be held at its execve; the shim would
	// exec a script's interpreter instead, so a script must not run at all.
	if err := verifyExecutable(path); err != nil {
		return nil, fmt.Errorf("launch %s: %w", path, err)
	}
	foreground := flags&proc.LaunchForeground != 0
	stdin, stdout, stderr, closeRedirects, err := openRedirects(stdinPath, stdoutOR, stderrOR, foreground)
	if err != nil {
		return nil, fmt.Errorf("launch %s: %w", path, err)
	}
	if stdin == nil || !isTerminal(stdin) {
		// The child cannot take the foreground of a terminal it has not.
		foreground = false
	}
	r, w, err := os.Pipe()
	if err != nil {
		closeRedirects()
		return nil, fmt.Errorf("launch %s: %w", path, err)
	}
	p := newProcess(0)
	p.tr.do(func() {
		if flags&proc.LaunchDisableASLR != 0 {
			// personality(2) flags survive execve: set ours around the fork.
			old, _, errno := unix.RawSyscall(unix.SYS_PERSONALITY, personalityQuery, 0, 0)
			if errno == 0 {
				unix.RawSyscall(unix.SYS_PERSONALITY, old|addrNoRandomize, 0, 0)
				defer unix.RawSyscall(unix.SYS_PERSONALITY, old, 0, 0)
			}
		}
		c := exec.Command("/bin/sh", append([]string{"-c", launchShim, path}, cmd[1:]...)...)
		c.Stdin, c.Stdout, c.Stderr = stdin, stdout, stderr
		c.ExtraFiles = []*os.File{r}
		c.Dir = wd
		c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Foreground: foreground}
		if tty != "" {
			var f *os.File
			if f, err = openTTY(tty); err != nil {
				return
			}
			defer f.Close()
			c.Stdin, c.Stdout, c.Stderr = f, f, f
			c.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true}
		}
		if foreground {
			// Like dlv: the debugger may touch the terminal while the
			// program owns it, without being stopped for it.
			signal.Ignore(syscall.SIGTTOU, syscall.SIGTTIN)
		}
		if err = c.Start(); err != nil {
			return
		}
		p.pid = c.Process.Pid
		err = p.seizeLaunched(w, path)
	})
	r.Close()
	w.Close()
	closeRedirects()
	if err != nil {
		if p.pid != 0 {
			_ = unix.Kill(p.pid, unix.SIGKILL)
			p.tr.do(func() { _, _, _ = wait4(p.pid, false) })
		}
		p.detached.Store(true)
		p.finish()
		return nil, fmt.Errorf("launch %s: %w", path, err)
	}
	p.childProcess = true
	p.startReleaseOnSignals()
	grp, err := p.initialize(path, debugInfoDirs, proc.StopLaunched)
	if err != nil {
		_ = p.detachOrKill(true)
		return nil, fmt.Errorf("launch %s: %w", path, explainLoadError(p.pid, err))
	}
	return grp, nil
}

// seizeLaunched seizes the shim, lets it exec the program and waits for the
// program's PTRACE_EVENT_EXEC stop. Tracer thread.
func (p *Process) seizeLaunched(release *os.File, path string) error {
	want, err := os.Stat(path)
	if err != nil {
		return err
	}
	p.job = listenmode.NewTracker(p.pid)
	// The shim's own children, should its shell make any, are not
	// attached: this loop waits for the shim alone, and no breakpoint
	// exists yet to take out of them.
	shimOptions := ptraceOptions&^(unix.PTRACE_O_TRACEFORK|unix.PTRACE_O_TRACEVFORK|unix.PTRACE_O_TRACEVFORKDONE) | unix.PTRACE_O_TRACEEXEC
	if err := ptraceSeize(p.pid, shimOptions); err != nil {
		return fmt.Errorf("seize process %d: %w", p.pid, err)
	}
	if _, err := release.Write([]byte("\n")); err != nil {
		return fmt.Errorf("release process %d: %w", p.pid, err)
	}
	for {
		_, ws, err := wait4(p.pid, false)
		if err != nil {
			return fmt.Errorf("wait for process %d: %w", p.pid, err)
		}
		stop := listenmode.Decode(ws, 0)
		switch {
		case stop.Gone():
			return fmt.Errorf("process %d ended before running the program (%s)", p.pid, stop)
		case stop.Kind == listenmode.KindExec && !isExecutable(p.pid, want):
			// The shell's own execve: os.StartProcess returns as soon as
			// the vfork'ed child releases our memory, which can be before
			// its exec of /bin/sh completes.
			_ = ptraceCont(p.pid, 0)
		case stop.Kind == listenmode.KindExec:
			// From here on exec is not followed.
			if err := ptraceSetOptions(p.pid, ptraceOptions); err != nil {
				return fmt.Errorf("set options of process %d: %w", p.pid, err)
			}
			th := p.newThread(p.pid, false)
			th.isNew, th.state, th.last = false, held, stop
			// Traced since before its first instruction: every thread it
			// makes is traced by the kernel.
			p.strayFree = true
			p.job.Assume(listenmode.StateRunning)
			p.publishJobState()
			return nil
		case stop.Kind == listenmode.KindGroupStop:
			_ = ptraceListen(p.pid)
		default:
			_ = ptraceCont(p.pid, stop.Reinject())
		}
	}
}

// verifyExecutable refuses what is not an ELF executable.
func verifyExecutable(path string) error {
	f, err := elf.Open(path)
	if err != nil {
		return errors.New("not an executable file (not ELF: a script or data file cannot be debugged)")
	}
	defer f.Close()
	if f.Type != elf.ET_EXEC && f.Type != elf.ET_DYN {
		return fmt.Errorf("not an executable file (ELF type %v)", f.Type)
	}
	return nil
}

// isExecutable reports whether process pid now runs the file want.
func isExecutable(pid int, want os.FileInfo) bool {
	got, err := os.Stat(fmt.Sprintf("/proc/%d/exe", pid))
	return err == nil && os.SameFile(got, want)
}

func isTerminal(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

func openTTY(tty string) (*os.File, error) {
	f, err := os.OpenFile(tty, os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	if !isTerminal(f) {
		f.Close()
		return nil, fmt.Errorf("%s is not a terminal", tty)
	}
	return f, nil
}

// openRedirects opens the program's standard streams as dlv does: a path
// or an open file replaces the stream, otherwise it is ours (stdin only in
// the foreground).
func openRedirects(stdinPath string, stdoutOR, stderrOR proc.OutputRedirect, foreground bool) (stdin, stdout, stderr *os.File, closefn func(), err error) {
	var toClose []*os.File
	closefn = func() {
		for _, f := range toClose {
			f.Close()
		}
	}
	if stdinPath != "" {
		if stdin, err = os.Open(stdinPath); err != nil {
			return nil, nil, nil, closefn, err
		}
		toClose = append(toClose, stdin)
	} else if foreground {
		stdin = os.Stdin
	}
	open := func(or proc.OutputRedirect, dflt *os.File) (*os.File, error) {
		switch {
		case or.Path != "":
			f, err := os.Create(or.Path)
			if err != nil {
				return nil, err
			}
			toClose = append(toClose, f)
			return f, nil
		case or.File != nil:
			toClose = append(toClose, or.File)
			return or.File, nil
		}
		return dflt, nil
	}
	if stdout, err = open(stdoutOR, os.Stdout); err != nil {
		return nil, nil, nil, closefn, err
	}
	if stderr, err = open(stderrOR, os.Stderr); err != nil {
		return nil, nil, nil, closefn, err
	}
	return stdin, stdout, stderr, closefn, nil
}
