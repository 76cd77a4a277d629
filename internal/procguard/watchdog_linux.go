package procguard

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// envWatchdog, set in the environment of a re-executed test binary, makes
// it the watchdog (see init).
const envWatchdog = "DLV_LISTEN_PROCGUARD_WATCHDOG"

// Kind is what a registration names.
type Kind string

const (
	Session Kind = "sid"  // every process whose session id is the id
	Group   Kind = "pgrp" // kill(-id, SIGKILL)
	Process Kind = "pid"  // kill(id, SIGKILL)
)

var watchdog struct {
	mu  sync.Mutex
	w   *os.File // write end of the pipe; nil until started
	err error
	seq int
}

func init() {
	if os.Getenv(envWatchdog) == "1" {
		runWatchdog(os.NewFile(3, "procguard-pipe"))
		os.Exit(0)
	}
}

// Watch registers id (of kind k) with the watchdog, starting the watchdog
// on first use, and returns the func that removes the registration. If the
// watchdog cannot be started the error says why; the caller still has
// Pdeathsig.
func Watch(k Kind, id int) (unwatch func(), err error) {
	watchdog.mu.Lock()
	defer watchdog.mu.Unlock()
	if watchdog.w == nil && watchdog.err == nil {
		watchdog.w, watchdog.err = startWatchdog()
	}
	if watchdog.err != nil {
		return func() {}, watchdog.err
	}
	watchdog.seq++
	key := watchdog.seq
	if _, err := fmt.Fprintf(watchdog.w, "+ %d %s %d\n", key, k, id); err != nil {
		return func() {}, fmt.Errorf("procguard: registering %s %d: %w", k, id, err)
	}
	return func() {
		watchdog.mu.Lock()
		defer watchdog.mu.Unlock()
		fmt.Fprintf(watchdog.w, "- %d\n", key)
	}, nil
}

// startWatchdog re-executes the running binary as the watchdog, in a
// process group of its own (a kill of the test's group must not take it
// along) and without Pdeathsig (it must outlive us).
func startWatchdog() (*os.File, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("procguard: pipe for the watchdog: %w", err)
	}
	defer r.Close()
	cmd := exec.Command("/proc/self/exe")
	cmd.Env = append(os.Environ(), envWatchdog+"=1")
	cmd.ExtraFiles = []*os.File{r}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		w.Close()
		return nil, fmt.Errorf("procguard: starting the watchdog (/proc/self/exe): %w", err)
	}
	// Reap it when it ends (it ends after we do, normally).
	go cmd.Wait()
	return w, nil
}

type registration struct {
	kind Kind
	id   int
}

// runWatchdog reads registrations until end of file, then kills what is
// still registered.
func runWatchdog(pipe *os.File) {
	// Not killed by the signals a dying test's terminal or group gets.
	for _, s := range []syscall.Signal{syscall.SIGINT, syscall.SIGHUP, syscall.SIGTERM, syscall.SIGQUIT, syscall.SIGTSTP, syscall.SIGTTIN, syscall.SIGTTOU} {
		signal.Ignore(s)
	}
	live := map[string]registration{}
	sc := bufio.NewScanner(pipe)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 4 && f[0] == "+":
			id, err := strconv.Atoi(f[3])
			if err == nil && id > 1 {
				live[f[1]] = registration{Kind(f[2]), id}
			}
		case len(f) == 2 && f[0] == "-":
			delete(live, f[1])
		}
	}
	for _, r := range live {
		killAll(r)
	}
}

// killAll SIGKILLs what r names. A session is rescanned until it is empty
// (a member may fork while we scan), for at most a few seconds.
func killAll(r registration) {
	switch r.kind {
	case Process:
		syscall.Kill(r.id, syscall.SIGKILL)
	case Group:
		syscall.Kill(-r.id, syscall.SIGKILL)
	case Session:
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) {
			members := SessionMembers(r.id)
			if len(members) == 0 {
				return
			}
			for _, pid := range members {
				syscall.Kill(pid, syscall.SIGKILL)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// SessionMembers returns the live (not zombie) processes of session sid,
// from /proc/*/stat.
func SessionMembers(sid int) []int {
	var out []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			continue
		}
		// state ppid pgrp session
		f := strings.Fields(string(b[i+1:]))
		if len(f) < 4 || f[0] == "Z" || f[0] == "X" {
			continue
		}
		if s, _ := strconv.Atoi(f[3]); s == sid {
			out = append(out, pid)
		}
	}
	return out
}
