package listener

import (
	"bufio"
	"net"
)

// Sniff reads the first bytes of conn without losing them and reports
// whether the client speaks DAP (a "Content-Length:" header, so a 'C') rather
// than JSON-RPC (a JSON object). It blocks until the client sends a byte.
// c reads those bytes again and is to be used instead of conn.
func Sniff(conn net.Conn) (isDAP bool, c net.Conn, err error) {
	br := bufio.NewReader(conn)
	b, err := br.Peek(1)
	if err != nil {
		return false, conn, err
	}
	return b[0] == 'C', &peekedConn{Conn: conn, r: br}, nil
}

// peekedConn is a connection whose first bytes went through a buffered
// reader.
type peekedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *peekedConn) Read(p []byte) (int, error) { return c.r.Read(p) }
