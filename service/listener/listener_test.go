package listener

import (
	"bufio"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// accept returns the next connection of l, failing after a deadline.
func accept(t *testing.T, l net.Listener) net.Conn {
	t.Helper()
	ch := make(chan net.Conn, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			close(ch)
			return
		}
		ch <- c
	}()
	select {
	case c, ok := <-ch:
		if !ok {
			t.Fatal("Accept failed")
		}
		t.Cleanup(func() { c.Close() })
		return c
	case <-time.After(10 * time.Second):
		t.Fatal("no connection accepted within 10s")
		return nil
	}
}

// Our own connections pass the same-user check, on TCP (IPv4 and IPv6
// loopback: the peer is found in /proc/net/tcp or tcp6) and on a unix
// socket (SO_PEERCRED); Sniff tells DAP from JSON-RPC and loses no byte.
func TestSameUserAndSniff(t *testing.T) {
	addrs := []string{"127.0.0.1:0", "unix:" + filepath.Join(t.TempDir(), "sock")}
	if l, err := net.Listen("tcp6", "[::1]:0"); err == nil {
		l.Close()
		addrs = append(addrs, "[::1]:0")
	}
	for _, addr := range addrs {
		t.Run(addr, func(t *testing.T) {
			var logged strings.Builder
			l, err := Listen(addr, true, func(f string, a ...any) { logged.WriteString(f) })
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			dialAddr := l.Addr().String()
			if l.Addr().Network() == "unix" {
				dialAddr = UnixPrefix + dialAddr
			}
			for _, tc := range []struct {
				first string
				dap   bool
			}{
				{"Content-Length: 2\r\n\r\n{}", true},
				{`{"method":"RPCServer.State","params":[{}],"id":0}`, false},
			} {
				c, err := Dial(dialAddr)
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				if _, err := io.WriteString(c, tc.first); err != nil {
					t.Fatal(err)
				}
				sc := accept(t, l)
				isDAP, sc, err := Sniff(sc)
				if err != nil || isDAP != tc.dap {
					t.Fatalf("Sniff(%q) = %v, %v; want %v", tc.first, isDAP, err, tc.dap)
				}
				got := make([]byte, len(tc.first))
				if _, err := io.ReadFull(bufio.NewReader(sc), got); err != nil || string(got) != tc.first {
					t.Fatalf("after Sniff read %q, %v; want %q", got, err, tc.first)
				}
			}
			if logged.Len() != 0 {
				t.Errorf("our own connections were logged as refused: %s", logged.String())
			}
		})
	}
}

// A unix socket path that exists already is refused with its name.
func TestListenError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "taken")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Listen(UnixPrefix+path, true, nil)
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("Listen on an existing file: %v, want an error naming %s", err, path)
	}
}

// hexAddr formats addresses as the kernel prints them in /proc/net/tcp{,6}.
func TestHexAddr(t *testing.T) {
	for _, tc := range []struct {
		addr *net.TCPAddr
		v6   bool
		want string
	}{
		{&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 0x1F90}, false, "0100007F:1F90"},
		{&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 0x1F90}, true, "0000000000000000FFFF00000100007F:1F90"},
		{&net.TCPAddr{IP: net.IPv6loopback, Port: 80}, true, "00000000000000000000000001000000:0050"},
	} {
		if got := hexAddr(tc.addr, tc.v6); got != tc.want {
			t.Errorf("hexAddr(%v, v6=%v) = %s, want %s", tc.addr, tc.v6, got, tc.want)
		}
	}
}
