//go:build linux

package integration

import (
	"bufio"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/dlv-listen/dlv-listen/internal/testprog"
)

type termFlags struct{ canon, echo bool }

func ioctlGetTermios(f *os.File) (termFlags, error) {
	// TCGETS on a pty's master reads the slave's termios (tty_mode_ioctl
	// uses tty->link for a PTY master).
	tio, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	if err != nil {
		return termFlags{}, err
	}
	return termFlags{tio.Lflag&unix.ICANON != 0, tio.Lflag&unix.ECHO != 0}, nil
}

// PauseProbe polls a TCP server the way a Jepsen-style client does: a
// request every Interval, each bounded by Timeout, and records which
// succeeded when.
type PauseProbe struct {
	Addr     string
	Interval time.Duration
	Timeout  time.Duration

	mu   sync.Mutex
	oks  []time.Time // end times of successful requests
	errs []time.Time // start times of failed (timed out) requests
	stop chan struct{}
	once sync.Once
	done chan struct{}
}

// StartProbe starts probing addr until Stop.
func StartProbe(addr string, interval, timeout time.Duration) *PauseProbe {
	p := &PauseProbe{Addr: addr, Interval: interval, Timeout: timeout, stop: make(chan struct{}), done: make(chan struct{})}
	go p.loop()
	return p
}

func (p *PauseProbe) loop() {
	defer close(p.done)
	for {
		start := time.Now()
		ok := p.request()
		p.mu.Lock()
		if ok {
			p.oks = append(p.oks, time.Now())
		} else {
			p.errs = append(p.errs, start)
		}
		p.mu.Unlock()
		select {
		case <-p.stop:
			return
		case <-time.After(p.Interval):
		}
	}
}

func (p *PauseProbe) request() bool {
	c, err := net.DialTimeout("tcp", p.Addr, p.Timeout)
	if err != nil {
		return false
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(p.Timeout))
	_, err = bufio.NewReader(c).ReadString('\n')
	return err == nil
}

// Stop ends the probing.
func (p *PauseProbe) Stop() {
	p.once.Do(func() { close(p.stop) })
	<-p.done
}

// OKsAfter counts the successful requests that ended after t0.
func (p *PauseProbe) OKsAfter(t0 time.Time) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, t := range p.oks {
		if t.After(t0) {
			n++
		}
	}
	return n
}

// LongestGap is the longest time between two successful requests, and
// the failed requests outside [from, to].
func (p *PauseProbe) LongestGap(from, to time.Time) (gap time.Duration, strayFailures int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := 1; i < len(p.oks); i++ {
		gap = max(gap, p.oks[i].Sub(p.oks[i-1]))
	}
	for _, e := range p.errs {
		if e.Before(from) || e.After(to) {
			strayFailures++
		}
	}
	return gap, strayFailures
}

// pauseFor is how long the harness keeps the server stopped; the probe
// sends a request every probeInterval, each bounded by probeTimeout.
const (
	pauseFor      = 2 * time.Second
	probeInterval = 10 * time.Millisecond
	probeTimeout  = 200 * time.Millisecond
)

func scenarioJepsenPause(t testing.TB, f Flavor) {
	bin := Program(t, "jobprog")
	c := NewCounter(t)
	portFile := filepath.Join(filepath.Dir(c.Path), "port")
	cmd := exec.Command(bin, "-out", c.Path, "-serve", "-port", portFile)
	Spawn(t, cmd)
	c.Pid = cmd.Process.Pid
	c.WaitAdvance(t, EventTimeout)
	b, _ := os.ReadFile(portFile)
	port, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatalf("server port file %s: %q", portFile, b)
	}
	d := Attach(t, c.Pid, DebuggerOptions{Flavor: f})
	d.Continue(t)

	// A request's timeout is a deadline: it stretches with the machine's
	// slowness (DLV_LISTEN_TEST_TIMEOUT_SCALE), or an emulated machine's
	// slow answers count as failures outside the pause.
	probe := StartProbe("127.0.0.1:"+strconv.Itoa(port), probeInterval, testprog.Timeout(probeTimeout))
	defer probe.Stop()
	waitOKs := func(after time.Time, what string) {
		t.Helper()
		deadline := time.Now().Add(EventTimeout)
		for probe.OKsAfter(after) < 5 {
			if time.Now().After(deadline) {
				t.Fatalf("the server did not serve %s (state %s)", what, Describe(c.Pid))
			}
			time.Sleep(Poll)
		}
	}
	waitOKs(time.Now(), "under the debugger")

	stopAt := time.Now()
	syscall.Kill(c.Pid, syscall.SIGSTOP)
	d.ExpectNotice(t, StoppedNotice(c.Pid, "SIGSTOP"))
	// The pause the harness makes: its length is the scenario, not a
	// synchronisation.
	time.Sleep(pauseFor - time.Since(stopAt))
	contAt := time.Now()
	syscall.Kill(c.Pid, syscall.SIGCONT)
	d.ExpectNotice(t, ContinuedNotice(c.Pid))
	waitOKs(contAt, "after SIGCONT")
	probe.Stop()

	gap, stray := probe.LongestGap(stopAt.Add(-probe.Timeout), contAt)
	pause := contAt.Sub(stopAt)
	t.Logf("%s: the harness paused the server %v; the clients' longest gap between answers %v; failed requests outside the pause: %d",
		f, pause.Round(time.Millisecond), gap.Round(time.Millisecond), stray)
	// A request that started just before the stop may still be answered
	// (its bytes were written), one after the CONT needs a few ms; the
	// gap is the pause within the probe's resolution, and the client's
	// own delays in noting answers, longer on a slower machine. A server
	// that served while stopped leaves no gap near the pause's length.
	slack := min(testprog.Timeout(2*probeInterval+probeTimeout/2), pause/2)
	if gap < pause-slack {
		t.Fatalf("the clients saw a gap of %v, but the harness paused the server %v: it served while stopped", gap, pause)
	}
	if late := testprog.Timeout(time.Second); gap > pause+late {
		t.Fatalf("the clients saw a gap of %v, longer than the %v pause by more than %v", gap, pause, late)
	}
	if stray != 0 {
		t.Fatalf("%d requests failed outside the pause", stray)
	}
}
