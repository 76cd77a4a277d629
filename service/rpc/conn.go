package rpc

// One client connection: Delve's JSON codec, with a bound on the size of a
// request and notice of the client going away.

import (
	"fmt"
	"io"
	"net/rpc"
	"net/rpc/jsonrpc"
	"sync"
	"sync/atomic"
)

// MaxRequest is the largest request accepted, in bytes. Delve's largest
// legitimate requests (a breakpoint with its conditions, a Set) are tiny;
// the bound keeps a client from making the server hold an arbitrary
// message in memory. A larger request closes the connection.
const MaxRequest = 16 << 20

// conn is an rpc.ServerCodec over one client connection.
type conn struct {
	rpc.ServerCodec
	budget *budgetReader

	closed   chan struct{} // closed when the client is gone (or refused)
	once     sync.Once
	readEnd  func()
	onDetach func()
}

func newConn(rwc io.ReadWriteCloser, readEnd, onDetach func()) *conn {
	b := &budgetReader{r: rwc}
	c := &conn{budget: b, closed: make(chan struct{}), readEnd: readEnd, onDetach: onDetach}
	c.ServerCodec = jsonrpc.NewServerCodec(struct {
		io.Reader
		io.Writer
		io.Closer
	}{b, rwc, rwc})
	return c
}

// ReadRequestHeader reads the next request. The jsonrpc codec decodes the
// whole request here, so the size bound starts anew at each call. An error
// ends the connection (net/rpc stops reading and closes it once the calls
// in flight have answered).
func (c *conn) ReadRequestHeader(r *rpc.Request) error {
	c.budget.reset()
	err := c.ServerCodec.ReadRequestHeader(r)
	if err != nil {
		c.end()
		if c.budget.exceeded.Load() {
			return fmt.Errorf("request larger than %d bytes: connection closed", MaxRequest)
		}
	}
	return err
}

// end marks the client gone: waiting calls (GetEvents, JobEvents) return.
func (c *conn) end() {
	c.once.Do(func() {
		close(c.closed)
		if c.readEnd != nil {
			c.readEnd()
		}
	})
}

// WriteResponse sends an answer; after a successful Detach, the server is
// told (dlv ends then).
func (c *conn) WriteResponse(r *rpc.Response, body any) error {
	err := c.ServerCodec.WriteResponse(r, body)
	if r.ServiceMethod == "RPCServer.Detach" && r.Error == "" && c.onDetach != nil {
		c.onDetach()
	}
	return err
}

func (c *conn) Close() error {
	c.end()
	return c.ServerCodec.Close()
}

// budgetReader fails a read once more than MaxRequest bytes were read since
// the last reset.
type budgetReader struct {
	r        io.Reader
	n        atomic.Int64
	exceeded atomic.Bool
}

func (b *budgetReader) reset() { b.n.Store(0) }

func (b *budgetReader) Read(p []byte) (int, error) {
	if b.n.Load() > MaxRequest {
		b.exceeded.Store(true)
		return 0, fmt.Errorf("request larger than %d bytes", MaxRequest)
	}
	n, err := b.r.Read(p)
	b.n.Add(int64(n))
	return n, err
}
