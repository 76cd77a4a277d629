// Command jobprog is a debuggee for the job-control matrix: a counter
// (the proof that it ran) plus one optional behaviour that makes the
// kernel or the shell stop it, or that a harness pauses:
//
//	-read      once it gets SIGUSR1, a goroutine reads lines from stdin
//	           and logs "read LINE" (in a background job: SIGTTIN)
//	-write D   once it gets SIGUSR1 (or at once with -write-now), a
//	           goroutine writes "line N" to stdout every D (in a
//	           background job with `stty tostop`: SIGTTOU)
//	-editor    behaves as a full-screen program under job control: puts
//	           the terminal in cbreak mode (no ECHO, no ICANON; logs
//	           "raw"), and on SIGTSTP restores it,
//	           logs "tstp", stops its process group with SIGSTOP; on
//	           SIGCONT logs "cont" and sets raw mode again
//	-serve     serves TCP on 127.0.0.1 (port written to -port FILE): each
//	           connection gets one line "N\n", the counter at that time
//	-exit-after N  exits with status 3 after N ticks
//
// The log (-log) starts with "pid PID".
// main.rare runs every -rare ticks, for a breakpoint hit now and then.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

var (
	count atomic.Int64
	sink  int
	logf  *os.File
)

//go:noinline
func tick(n int) int { return n * 2 }

//go:noinline
func rare(n int) int { return n + 1 }

func logLine(s string) {
	if logf != nil {
		logf.Write([]byte(s + "\n"))
	}
}

func writeCounter(path string, n int) {
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	if err := os.WriteFile(tmp, []byte(strconv.Itoa(n)), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "jobprog:", err)
		os.Exit(2)
	}
	if err := os.Rename(tmp, path); err != nil {
		fmt.Fprintln(os.Stderr, "jobprog:", err)
		os.Exit(2)
	}
}

func main() {
	out := flag.String("out", "", "counter file")
	logPath := flag.String("log", "", "event log file")
	read := flag.Bool("read", false, "read lines from stdin")
	write := flag.Duration("write", 0, "write a line to stdout every D")
	writeNow := flag.Bool("write-now", false, "-write from the start, not from SIGUSR1")
	editor := flag.Bool("editor", false, "raw terminal, own SIGTSTP/SIGCONT handling")
	serve := flag.Bool("serve", false, "serve the counter over TCP")
	portFile := flag.String("port", "", "file for the TCP port (-serve)")
	exitAfter := flag.Int("exit-after", 0, "exit with status 3 after N ticks")
	rareEvery := flag.Int("rare", 100, "call main.rare every N ticks")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "jobprog: -out is required")
		os.Exit(2)
	}
	if *logPath != "" {
		var err error
		logf, err = os.OpenFile(*logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
		if err != nil {
			fmt.Fprintln(os.Stderr, "jobprog:", err)
			os.Exit(2)
		}
	}
	logLine("pid " + strconv.Itoa(os.Getpid()))
	usr1 := make(chan os.Signal, 1)
	signal.Notify(usr1, syscall.SIGUSR1)
	if *read {
		go func() {
			<-usr1
			sc := bufio.NewScanner(os.Stdin)
			for sc.Scan() {
				logLine("read " + sc.Text())
			}
			logLine(fmt.Sprintf("read end %v", sc.Err()))
		}()
	}
	if *write > 0 {
		go func() {
			if !*writeNow {
				<-usr1
			}
			for i := 1; ; i++ {
				fmt.Printf("line %d\n", i)
				time.Sleep(*write)
			}
		}()
	}
	if *editor {
		runEditor()
	}
	if *serve {
		runServer(*portFile)
	}
	n := 0
	for {
		time.Sleep(time.Millisecond)
		n++
		sink = tick(n)
		if *rareEvery > 0 && n%*rareEvery == 0 {
			sink = rare(n)
		}
		count.Store(int64(n))
		writeCounter(*out, n)
		if *exitAfter > 0 && n >= *exitAfter {
			os.Exit(3)
		}
	}
}

// runEditor does what a full-screen editor does under job control (vim,
// less): raw mode while it runs; on SIGTSTP the terminal restored, then a
// real stop (default action, re-raised); on SIGCONT raw mode again.
func runEditor() {
	fd := int(os.Stdin.Fd())
	saved, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		fmt.Fprintln(os.Stderr, "jobprog: -editor needs a terminal:", err)
		os.Exit(2)
	}
	raw := *saved
	// As less(1): no echo, no line editing, but ISIG kept, so Ctrl-Z
	// still sends SIGTSTP.
	raw.Lflag &^= unix.ECHO | unix.ICANON | unix.IEXTEN
	setRaw := func() {
		if err := unix.IoctlSetTermios(fd, unix.TCSETS, &raw); err != nil {
			logLine("raw error " + err.Error())
			return
		}
		logLine("raw")
	}
	// The handlers first: "raw" in the log tells the tests that the
	// program is ready, handlers included.
	tstp := make(chan os.Signal, 1)
	cont := make(chan os.Signal, 1)
	signal.Notify(tstp, syscall.SIGTSTP)
	signal.Notify(cont, syscall.SIGCONT)
	setRaw()
	go func() {
		for {
			<-tstp
			unix.IoctlSetTermios(fd, unix.TCSETS, saved)
			logLine("tstp")
			// Stop for real, the whole process group, as less(1) and
			// many editors do after restoring the terminal. SIGSTOP,
			// because the Go runtime does not give SIGTSTP its default
			// action back on signal.Reset.
			syscall.Kill(0, syscall.SIGSTOP)
			<-cont
			logLine("cont")
			setRaw()
		}
	}()
}

func runServer(portFile string) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "jobprog:", err)
		os.Exit(2)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	if err := os.WriteFile(portFile, []byte(strconv.Itoa(port)), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "jobprog:", err)
		os.Exit(2)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			fmt.Fprintf(c, "%d\n", count.Load())
			c.Close()
		}
	}()
}
