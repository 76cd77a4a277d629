package main

// The headless server: dlv's `--headless` mode. One listener serves Delve's
// JSON-RPC 2 (service/rpc) and DAP (service/dap), told apart by a
// connection's first bytes, on one session.

import (
	"fmt"
	"net"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"github.com/go-delve/delve/pkg/logflags"
	"github.com/go-delve/delve/service/rpc2"

	"github.com/dlv-listen/dlv-listen/service/dap"
	"github.com/dlv-listen/dlv-listen/service/debugger"
	"github.com/dlv-listen/dlv-listen/service/listener"
	"github.com/dlv-listen/dlv-listen/service/rpc"
)

// serverPreflight checks the server flags as dlv does, with dlv's
// messages, before anything is started.
func (o *options) serverPreflight() error {
	f := &o.server
	if f.headless && o.initFile != "" {
		fmt.Fprint(os.Stderr, "Warning: init file ignored with --headless\n")
	}
	if f.continueOnStart {
		if !f.headless {
			fmt.Fprint(os.Stderr, "Error: --continue only works with --headless; use an init file\n")
			return exitError(1)
		}
		if !f.acceptMulti {
			fmt.Fprint(os.Stderr, "Error: --continue requires --accept-multiclient\n")
			return exitError(1)
		}
	}
	if !f.headless && f.acceptMulti {
		fmt.Fprint(os.Stderr, "Warning accept-multi: ignored\n")
		f.acceptMulti = false
	}
	if f.headless && f.apiVersion != 2 {
		fmt.Fprintf(os.Stderr, "dlv-listen: unknown API version %d: the only valid value is 2\n", f.apiVersion)
		return exitError(1)
	}
	return nil
}

// serveHeadless opens the listener, prints dlv's banner, starts the
// session with start and serves it until a client detaches, the only
// client leaves (without --accept-multiclient), or SIGINT or SIGTERM
// comes; then the session ends as dlv's does: an attached process is
// detached, a launched one killed.
func (o *options) serveHeadless(start func() (*debugger.Debugger, error)) error {
	f := &o.server
	logf := func(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }
	l, err := listener.Listen(f.listen, f.onlySameUser, logf)
	if err != nil {
		fmt.Printf("couldn't start listener: %s\n", err)
		return exitError(1)
	}
	defer l.Close()
	if o.tty == "" {
		// As dlv: with --tty the banner is not printed.
		logflags.WriteAPIListeningMessage(l.Addr())
	}
	d, err := start()
	if err != nil {
		fmt.Fprintf(os.Stderr, "dlv-listen: %v\n", err)
		return exitError(1)
	}
	printWarnings(d)
	d.SetNoticeFunc(func(s string) { logf("%s", s) })

	var once sync.Once
	stop := make(chan struct{})
	stopNow := func() { once.Do(func() { close(stop) }) }
	srv := rpc.NewServer(d, nil)
	srv.SetMulticlient(f.acceptMulti)
	srv.SetDetachFunc(stopNow)
	h := &headless{d: d, rpc: srv, multi: f.acceptMulti, stop: stopNow, logf: logf}
	go h.accept(l)

	if f.continueOnStart {
		// As dlv: a client connects and disconnects, continuing.
		conn, err := listener.Dial(addrString(l.Addr()))
		if err != nil {
			logf("dlv-listen: --continue: %v", err)
		} else {
			_ = rpc2.NewClientFromConn(conn).Disconnect(true)
		}
	}

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)
	select {
	case <-stop:
	case <-sigs:
	}
	l.Close()
	if err := d.Close(d.Launched()); err != nil {
		fmt.Println(err)
	}
	return nil
}

// addrString is addr in Listen's syntax.
func addrString(addr net.Addr) string {
	if addr.Network() == "unix" {
		return listener.UnixPrefix + addr.String()
	}
	return addr.String()
}

// headless is a running headless server.
type headless struct {
	d     *debugger.Debugger
	rpc   *rpc.Server
	multi bool
	stop  func()
	logf  func(format string, args ...any)
}

// accept serves the listener's connections: every one with
// --accept-multiclient, else the first (as dlv, which then stops
// accepting).
func (h *headless) accept(l net.Listener) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		go h.serve(c)
		if !h.multi {
			return
		}
	}
}

// serve serves one connection as DAP or JSON-RPC, by its first bytes.
func (h *headless) serve(c net.Conn) {
	isDAP, c, err := listener.Sniff(c)
	if err != nil {
		c.Close()
		if !h.multi {
			h.stop()
		}
		return
	}
	if isDAP {
		if err := dap.NewServer(dap.Config{Log: h.logf, AcceptMulti: h.multi}).ServeConn(c, h.d); err != nil {
			h.logf("dlv-listen: DAP client: %v", err)
		}
		if !h.multi {
			h.stop()
		}
		return
	}
	var readEnd func()
	if !h.multi {
		// dlv ends a single-client server as soon as its client is gone,
		// even while a call of that client still runs.
		readEnd = h.stop
	}
	h.rpc.Serve(c, readEnd)
}
