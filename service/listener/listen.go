package listener

import (
	"fmt"
	"net"
	"os"
	"strings"
)

// UnixPrefix marks a unix socket address, as in dlv's --listen=unix:/path.
const UnixPrefix = "unix:"

// Listen opens addr: "host:port" (TCP) or "unix:/path". With onlySameUser,
// Accept returns only connections from our own uid; others are closed and
// logged with logf (nil = stderr).
func Listen(addr string, onlySameUser bool, logf func(format string, args ...any)) (net.Listener, error) {
	if logf == nil {
		logf = func(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }
	}
	var l net.Listener
	var err error
	if path, ok := strings.CutPrefix(addr, UnixPrefix); ok {
		l, err = net.Listen("unix", path)
	} else {
		l, err = net.Listen("tcp", addr)
	}
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	if !onlySameUser {
		return l, nil
	}
	return &sameUserListener{Listener: l, uid: os.Getuid(), logf: logf}, nil
}

// Dial connects to addr in Listen's syntax.
func Dial(addr string) (net.Conn, error) {
	if path, ok := strings.CutPrefix(addr, UnixPrefix); ok {
		return net.Dial("unix", path)
	}
	return net.Dial("tcp", addr)
}

// sameUserListener is a listener that drops connections from other users.
type sameUserListener struct {
	net.Listener
	uid  int
	logf func(format string, args ...any)
}

// Accept returns the next connection whose peer runs as our uid. A refused
// connection is closed and logged; the listener keeps accepting.
func (l *sameUserListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		uid, known, err := peerUID(c)
		switch {
		case err != nil:
			l.logf("closing connection from %s: cannot tell its user (%v): only connections from the same user are accepted", peerName(c), err)
		case !known:
			// A remote host: nothing on this machine owns the client's
			// socket. Reached only with a non-loopback --listen, which
			// warns that connections are not authenticated, as dlv's.
			return c, nil
		case uid == l.uid:
			return c, nil
		default:
			l.logf("closing connection from %s (uid %d, ours %d): connections are only accepted from the same user for security reasons", peerName(c), uid, l.uid)
		}
		c.Close()
	}
}

func peerName(c net.Conn) string {
	if a := c.RemoteAddr(); a != nil && a.String() != "" && a.String() != "@" {
		return a.String()
	}
	return "unix socket peer"
}
