package listener

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// peerUID returns the uid of the process that owns the other end of c.
// known is false for a TCP peer on another host.
func peerUID(c net.Conn) (uid int, known bool, err error) {
	switch conn := c.(type) {
	case *net.UnixConn:
		return unixPeerUID(conn)
	case *net.TCPConn:
		return tcpPeerUID(conn.LocalAddr().(*net.TCPAddr), conn.RemoteAddr().(*net.TCPAddr))
	}
	return 0, false, fmt.Errorf("connection of type %T", c)
}

// unixPeerUID reads SO_PEERCRED: the credentials the peer had when it
// called connect(2) (unix(7)).
func unixPeerUID(c *net.UnixConn) (int, bool, error) {
	raw, err := c.SyscallConn()
	if err != nil {
		return 0, false, err
	}
	var cred *unix.Ucred
	var credErr error
	if err := raw.Control(func(fd uintptr) {
		cred, credErr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); err != nil {
		return 0, false, err
	}
	if credErr != nil {
		return 0, false, fmt.Errorf("SO_PEERCRED: %w", credErr)
	}
	return int(cred.Uid), true, nil
}

// tcpPeerUID finds the client's socket — local address = our remote, remote
// address = our local — in /proc/net/tcp or tcp6 and returns its uid column
// (proc(5)). An IPv4 client of a dual-stack socket is listed in tcp6 as
// ::ffff:a.b.c.d, so both files are read for IPv4.
func tcpPeerUID(local, remote *net.TCPAddr) (int, bool, error) {
	files := []string{"/proc/net/tcp6"}
	if remote.IP.To4() != nil {
		files = []string{"/proc/net/tcp", "/proc/net/tcp6"}
	}
	for _, name := range files {
		v6 := strings.HasSuffix(name, "6")
		uid, found, err := findSocketUID(name, hexAddr(remote, v6), hexAddr(local, v6))
		if err != nil {
			return 0, false, err
		}
		if found {
			return uid, true, nil
		}
	}
	if remote.IP.IsLoopback() {
		return 0, false, errors.New("its socket is not in /proc/net/tcp or tcp6")
	}
	return 0, false, nil
}

// hexAddr formats a as /proc/net/tcp{,6} prints addresses: the address's
// 32-bit words in host (little-endian) order, in hex, then the port.
func hexAddr(a *net.TCPAddr, v6 bool) string {
	ip := a.IP.To16()
	if !v6 {
		ip = a.IP.To4()
	}
	var sb strings.Builder
	for i := 0; i+4 <= len(ip); i += 4 {
		fmt.Fprintf(&sb, "%08X", binary.LittleEndian.Uint32(ip[i:i+4]))
	}
	fmt.Fprintf(&sb, ":%04X", a.Port)
	return sb.String()
}

func findSocketUID(name, local, remote string) (int, bool, error) {
	f, err := os.Open(name)
	if err != nil {
		if os.IsNotExist(err) {
			return 0, false, nil // no IPv6 in this kernel
		}
		return 0, false, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid ...
		fields := strings.Fields(sc.Text())
		if len(fields) < 8 || fields[1] != local || fields[2] != remote {
			continue
		}
		uid, err := strconv.Atoi(fields[7])
		if err != nil {
			return 0, false, fmt.Errorf("%s: uid %q: %w", name, fields[7], err)
		}
		return uid, true, nil
	}
	return 0, false, sc.Err()
}
