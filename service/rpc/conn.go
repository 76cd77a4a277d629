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

	"github.com/go-delve/delve/service/api"
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

	// prepare registers a resuming command as its request is read (see
	// ReadRequestBody); releases are the registrations to undo when the
	// request with that sequence number is answered.
	prepare   func() (release func())
	seq       uint64 // of the request being read
	releaseMu sync.Mutex
	releases  map[uint64]func()
}

func newConn(rwc io.ReadWriteCloser, readEnd, onDetach func(), prepare func() func()) *conn {
	b := &budgetReader{r: rwc}
	c := &conn{budget: b, closed: make(chan struct{}), readEnd: readEnd, onDetach: onDetach,
		prepare: prepare, releases: map[uint64]func(){}}
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
	c.seq = r.Seq
	if err != nil {
		c.end()
		if c.budget.exceeded.Load() {
			return fmt.Errorf("request larger than %d bytes: connection closed", MaxRequest)
		}
	}
	return err
}

// ReadRequestBody decodes a request's argument. net/rpc reads requests
// one after another and runs each on a goroutine of its own: a Halt read
// right after a Continue may run first. So a resuming command is
// registered with the session here, in the order of the requests, and a
// Halt that overtakes it is kept for it (Debugger.PrepareResume).
func (c *conn) ReadRequestBody(x any) error {
	err := c.ServerCodec.ReadRequestBody(x)
	if cmd, ok := x.(*api.DebuggerCommand); ok && err == nil && c.prepare != nil && resumes(cmd.Name) {
		c.releaseMu.Lock()
		c.releases[c.seq] = c.prepare()
		c.releaseMu.Unlock()
	}
	return err
}

// resumes reports whether the command named name lets the program run.
func resumes(name string) bool {
	switch name {
	case api.Continue, api.DirectionCongruentContinue, api.Next, api.Step, api.StepOut,
		api.StepInstruction, api.NextInstruction, api.Call:
		return true
	}
	return false
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
	c.releaseMu.Lock()
	release := c.releases[r.Seq]
	delete(c.releases, r.Seq)
	c.releaseMu.Unlock()
	if release != nil {
		release() // the command ran (a no-op then) or never will
	}
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
