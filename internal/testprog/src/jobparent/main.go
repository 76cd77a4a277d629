// Command jobparent plays the role of a job-control shell: it starts TARGET
// in its own process group, reaps it with WUNTRACED|WCONTINUED and records
// every wait status it sees in the events file.
//
// Usage: jobparent -events PATH TARGET [ARGS...]
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strconv"
	"syscall"
)

const wCONTINUED = 8

var events *os.File

func emit(line string) {
	if _, err := events.Write([]byte(line + "\n")); err != nil {
		fmt.Fprintln(os.Stderr, "jobparent:", err)
		os.Exit(2)
	}
}

func init() { runtime.LockOSThread() }

func main() {
	eventsPath := flag.String("events", "", "events file")
	flag.Parse()
	if *eventsPath == "" || flag.NArg() < 1 {
		fmt.Fprintln(os.Stderr, "usage: jobparent -events PATH TARGET [ARGS...]")
		os.Exit(2)
	}
	// Never stopped itself, as a shell is not; but caught, not ignored:
	// an ignored disposition would be inherited by the program through
	// execve and SIGTSTP could not stop it.
	signal.Notify(make(chan os.Signal, 1), syscall.SIGTSTP, syscall.SIGTTOU, syscall.SIGTTIN)

	var err error
	events, err = os.OpenFile(*eventsPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		fmt.Fprintln(os.Stderr, "jobparent:", err)
		os.Exit(2)
	}

	cmd := exec.Command(flag.Arg(0), flag.Args()[1:]...)
	cmd.Stdin = nil
	cmd.Stdout = os.Stdout
	cmd.Stderr = os.Stderr
	// The target dies with us: Pdeathsig, forked from the main thread,
	// which init locked (the signal fires when the forking thread exits).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "jobparent:", err)
		os.Exit(2)
	}
	pid := cmd.Process.Pid
	emit("pid " + strconv.Itoa(pid))

	for {
		var ws syscall.WaitStatus
		wpid, err := syscall.Wait4(pid, &ws, syscall.WUNTRACED|wCONTINUED, nil)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "jobparent: wait4:", err)
			os.Exit(2)
		}
		if wpid != pid {
			continue
		}
		switch {
		case ws.Exited():
			emit("exited " + strconv.Itoa(ws.ExitStatus()))
			os.Exit(0)
		case ws.Signaled():
			emit("signaled " + signalName(ws.Signal()))
			os.Exit(0)
		case ws.Stopped():
			emit("stopped " + signalName(ws.StopSignal()))
		case ws.Continued():
			emit("continued")
		default:
			emit("unknown " + strconv.Itoa(int(ws)))
		}
	}
}

var signalNames = map[syscall.Signal]string{
	syscall.SIGABRT: "SIGABRT", syscall.SIGALRM: "SIGALRM", syscall.SIGBUS: "SIGBUS",
	syscall.SIGCHLD: "SIGCHLD", syscall.SIGCONT: "SIGCONT", syscall.SIGFPE: "SIGFPE",
	syscall.SIGHUP: "SIGHUP", syscall.SIGILL: "SIGILL", syscall.SIGINT: "SIGINT",
	syscall.SIGIO: "SIGIO", syscall.SIGKILL: "SIGKILL", syscall.SIGPIPE: "SIGPIPE",
	syscall.SIGPROF: "SIGPROF", syscall.SIGPWR: "SIGPWR", syscall.SIGQUIT: "SIGQUIT",
	syscall.SIGSEGV: "SIGSEGV", syscall.SIGSTKFLT: "SIGSTKFLT", syscall.SIGSTOP: "SIGSTOP",
	syscall.SIGSYS: "SIGSYS", syscall.SIGTERM: "SIGTERM", syscall.SIGTRAP: "SIGTRAP",
	syscall.SIGTSTP: "SIGTSTP", syscall.SIGTTIN: "SIGTTIN", syscall.SIGTTOU: "SIGTTOU",
	syscall.SIGURG: "SIGURG", syscall.SIGUSR1: "SIGUSR1", syscall.SIGUSR2: "SIGUSR2",
	syscall.SIGVTALRM: "SIGVTALRM", syscall.SIGWINCH: "SIGWINCH", syscall.SIGXCPU: "SIGXCPU",
	syscall.SIGXFSZ: "SIGXFSZ",
}

func signalName(s syscall.Signal) string {
	if n, ok := signalNames[s]; ok {
		return n
	}
	if s >= 34 && s <= 64 {
		return "SIGRTMIN+" + strconv.Itoa(int(s)-34)
	}
	return "SIG" + strconv.Itoa(int(s))
}
