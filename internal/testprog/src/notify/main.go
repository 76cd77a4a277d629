// Command notify is a debuggee that subscribes to every signal and logs each
// one it receives (except SIGURG), proving a debugger's halts inject none.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

var sink int

//go:noinline
func helper(x int) int {
	y := x + 1
	return y * 3
}

//go:noinline
func tick(n int, label string) int {
	doubled := n * 2
	msg := fmt.Sprintf("%s-%d", label, n)
	h := helper(doubled)
	if h < 0 {
		return h
	}
	return len(msg) + doubled
}

func writeCounter(path string, n int) {
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	if err := os.WriteFile(tmp, []byte(strconv.Itoa(n)), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "notify:", err)
		os.Exit(2)
	}
	if err := os.Rename(tmp, path); err != nil {
		fmt.Fprintln(os.Stderr, "notify:", err)
		os.Exit(2)
	}
}

func main() {
	out := flag.String("out", "", "counter file")
	logPath := flag.String("log", "", "signal log file")
	period := flag.Duration("period", time.Millisecond, "tick period")
	flag.Parse()
	if *out == "" || *logPath == "" {
		fmt.Fprintln(os.Stderr, "notify: -out and -log are required")
		os.Exit(2)
	}
	logf, err := os.OpenFile(*logPath, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|os.O_APPEND, 0o644)
	if err != nil {
		fmt.Fprintln(os.Stderr, "notify:", err)
		os.Exit(2)
	}
	ch := make(chan os.Signal, 64)
	signal.Notify(ch)
	go func() {
		for s := range ch {
			sig, ok := s.(syscall.Signal)
			if ok && sig == syscall.SIGURG {
				continue
			}
			name := s.String()
			if ok {
				name = signalName(sig)
			}
			logf.Write([]byte("got " + name + "\n"))
		}
	}()
	n := 0
	for {
		time.Sleep(*period)
		n++
		sink = tick(n, "tick")
		writeCounter(*out, n)
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
