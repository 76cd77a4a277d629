package dap

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime/debug"
	"sync"
	"sync/atomic"

	"github.com/google/go-dap"

	"github.com/dlv-listen/dlv-listen/service/debugger"
)

// Config configures a Server.
type Config struct {
	// Log receives the server's diagnostics; nil = none.
	Log func(format string, args ...any)
	// LogMessages also logs every message in and out (dlv's
	// --log-output=dap).
	LogMessages bool
	// AcceptMulti keeps an existing session (ServeConn's existing) when a
	// client disconnects without terminateDebuggee, as dlv
	// --accept-multiclient does; otherwise the disconnect ends it.
	AcceptMulti bool
}

// Server serves DAP clients.
type Server struct {
	cfg Config
}

// NewServer returns a server with cfg.
func NewServer(cfg Config) *Server { return &Server{cfg: cfg} }

func (s *Server) logf(format string, args ...any) {
	if s.cfg.Log != nil {
		s.cfg.Log(format, args...)
	}
}

// ServeConn serves one DAP client until it disconnects. With existing ==
// nil the client must launch or attach (as with `dlv dap`); with a session
// (a headless dlv-listen), the client attaches to it with mode "remote".
// A session ServeConn made itself is always ended (detached or killed)
// before it returns, so no breakpoint is left in the debuggee. The error
// is nil when the client disconnected or closed the connection.
func (s *Server) ServeConn(conn net.Conn, existing *debugger.Debugger) error {
	ss := newSession(s, conn, existing)
	defer ss.close()
	return ss.serve()
}

// session is one client connection.
type session struct {
	srv  *Server
	conn net.Conn
	rd   *bufio.Reader

	sendMu sync.Mutex
	seq    atomic.Int64

	// mu guards the session fields below that a run goroutine reads.
	mu          sync.Mutex
	d           *debugger.Debugger
	c           *debugger.Client
	existing    bool // d came from ServeConn (headless); not ours to end unless asked
	caps        clientCaps
	args        launchArgs
	binToRemove string
	noDebug     *noDebugProcess
	ended       bool // the debug session was ended (detached/killed)
	closed      chan struct{}
	stopJobs    func()
	stopTargets func()

	// runningCmd is true while a resuming command runs on its goroutine.
	runningCmd atomic.Bool
	// haltRequested is set by pause; a stop then reads "pause".
	haltRequested atomic.Bool
	// internalHalt is set when we halt the program only to set
	// breakpoints: the run loop resumes it after that halt alone.
	internalHalt atomic.Bool
	// changeStateMu is held by whatever changes the run state (resume,
	// halt, set breakpoints while running, disconnect).
	changeStateMu sync.Mutex

	handles handleSet
	// threadIDs names the goroutines of every process (threadids.go).
	threadIDs threadIDs
	// exceptionErr is the runtime error of the last stop, for exceptionInfo.
	exceptionErr error

	job jobState

	outputWG sync.WaitGroup
}

func newSession(srv *Server, conn net.Conn, existing *debugger.Debugger) *session {
	ss := &session{
		srv:    srv,
		conn:   conn,
		rd:     bufio.NewReader(conn),
		args:   defaultLaunchArgs(),
		closed: make(chan struct{}),
	}
	ss.handles.reset()
	if existing != nil {
		ss.d, ss.c, ss.existing = existing, existing.Client(), true
	}
	return ss
}

// serve reads requests until the client disconnects or the connection
// breaks. Framing errors (bad header, bad Content-Length) end the
// connection, since the stream can no longer be trusted; a body that is
// not valid JSON gets an error response naming the cause and ends it too,
// as in dlv; a request for a command we do not know gets an error response
// and the connection goes on.
func (ss *session) serve() error {
	for {
		content, err := dap.ReadBaseMessage(ss.rd)
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) {
				return nil
			}
			ss.srv.logf("DAP: closing the connection: bad message framing: %v", err)
			return fmt.Errorf("bad DAP message framing: %w", err)
		}
		if ss.srv.cfg.LogMessages {
			ss.srv.logf("[<- from client]%s", content)
		}
		msg, err := ss.decode(content)
		if err != nil {
			ss.sendInternalError(seqOf(content), err.Error())
			var fieldErr *dap.DecodeProtocolMessageFieldError
			if errors.As(err, &fieldErr) {
				continue
			}
			// As dlv: a body that is not a DAP message ends the connection
			// (after the error response saying why).
			return fmt.Errorf("bad DAP message: %w", err)
		}
		if ss.handle(msg) {
			return nil
		}
	}
}

// seqOf returns the seq of a message whose body could not be decoded, or
// 0.
func seqOf(content []byte) int {
	var m struct {
		Seq int `json:"seq"`
	}
	_ = json.Unmarshal(content, &m)
	return m.Seq
}

// codec decodes DAP messages plus dlv-listen's custom request.
var codec = func() *dap.Codec {
	c := dap.NewCodec()
	if err := c.RegisterRequest(signalCommand,
		func() dap.Message { return &signalRequest{} },
		func() dap.Message { return &signalResponse{} }); err != nil {
		panic(err)
	}
	return c
}()

func (ss *session) decode(content []byte) (dap.Message, error) {
	msg, err := codec.DecodeMessage(content)
	if err != nil {
		var fieldErr *dap.DecodeProtocolMessageFieldError
		if errors.As(err, &fieldErr) {
			return nil, err
		}
		var syntaxErr *json.SyntaxError
		if errors.As(err, &syntaxErr) {
			return nil, fmt.Errorf("invalid JSON in message: %v", err)
		}
		return nil, fmt.Errorf("cannot decode message: %v", err)
	}
	return msg, nil
}

// send writes one message; messages from several goroutines never
// interleave.
func (ss *session) send(msg dap.Message) {
	content, err := json.Marshal(msg)
	if err != nil {
		ss.srv.logf("DAP: encode %T: %v", msg, err)
		return
	}
	if ss.srv.cfg.LogMessages {
		ss.srv.logf("[-> to client]%s", content)
	}
	ss.sendRaw(content)
}

// sendRaw writes one message already encoded as JSON.
func (ss *session) sendRaw(content []byte) {
	ss.sendMu.Lock()
	defer ss.sendMu.Unlock()
	if err := writeFrame(ss.conn, content); err != nil {
		ss.srv.logf("DAP: write: %v", err)
	}
}

// frameCopyMax is the largest content writeFrame copies after its header
// to send both in one write.
const frameCopyMax = 64 << 10

// writeFrame writes one DAP frame, the Content-Length header and content,
// as go-dap's WriteBaseMessage does, but in one write when the content is
// small: with two, the client wakes for the header alone and again for
// the content, and each write is a TCP segment of its own (Go sets
// TCP_NODELAY). A large content is not copied (its write costs more than
// the header's).
func writeFrame(w io.Writer, content []byte) error {
	if len(content) > frameCopyMax {
		return dap.WriteBaseMessage(w, content)
	}
	buf := make([]byte, 0, len(content)+40)
	buf = fmt.Appendf(buf, "Content-Length: %d\r\n\r\n", len(content))
	buf = append(buf, content...)
	_, err := w.Write(buf)
	return err
}

func (ss *session) nextSeq() int { return int(ss.seq.Add(1)) }

func (ss *session) newResponse(req dap.Request) *dap.Response {
	return &dap.Response{
		ProtocolMessage: dap.ProtocolMessage{Seq: ss.nextSeq(), Type: "response"},
		Command:         req.Command,
		RequestSeq:      req.Seq,
		Success:         true,
	}
}

func (ss *session) newEvent(name string) *dap.Event {
	return &dap.Event{ProtocolMessage: dap.ProtocolMessage{Seq: ss.nextSeq(), Type: "event"}, Event: name}
}

func (ss *session) sendErrorWithOpts(req dap.Request, id int, summary, details string, showUser bool) {
	er := &dap.ErrorResponse{Response: *ss.newResponse(req)}
	er.Success = false
	er.Message = summary
	er.Body.Error = &dap.ErrorMessage{Id: id, Format: fmt.Sprintf("%s: %s", summary, details), ShowUser: showUser}
	ss.send(er)
}

func (ss *session) sendError(req dap.Request, id int, summary, details string) {
	ss.sendErrorWithOpts(req, id, summary, details, false)
}

func (ss *session) sendShowUserError(req dap.Request, id int, summary, details string) {
	ss.sendErrorWithOpts(req, id, summary, details, true)
}

func (ss *session) sendInternalError(seq int, details string) {
	er := &dap.ErrorResponse{}
	er.Type = "response"
	er.Seq = ss.nextSeq()
	er.RequestSeq = seq
	er.Message = "Internal Error"
	er.Body.Error = &dap.ErrorMessage{Id: InternalError, Format: "Internal Error: " + details}
	ss.send(er)
}

func (ss *session) sendUnsupported(req dap.Request) {
	ss.sendError(req, UnsupportedCommand, "Unsupported command", fmt.Sprintf("cannot process %q request", req.Command))
}

func (ss *session) output(category, text string) {
	ss.send(&dap.OutputEvent{Event: *ss.newEvent("output"), Body: dap.OutputEventBody{Output: text, Category: category}})
}

func (ss *session) logToConsole(msg string) { ss.output("console", msg+"\n") }

// recoverPanic turns a panic in a handler into an error response: the
// server never crashes, and close still lets the debuggee go cleanly.
func (ss *session) recoverPanic(seq int) {
	if r := recover(); r != nil {
		ss.srv.logf("DAP: recovered panic: %v\n%s", r, debug.Stack())
		ss.sendInternalError(seq, fmt.Sprint(r))
	}
}

func (ss *session) debugger() (*debugger.Debugger, *debugger.Client) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return ss.d, ss.c
}

// close ends what the connection started: a debug session made by this
// connection is detached (attach) or killed (launch), a noDebug program
// killed, a built binary removed.
func (ss *session) close() {
	ss.conn.Close()
	select {
	case <-ss.closed:
	default:
		close(ss.closed)
	}
	ss.mu.Lock()
	d, existing, ended, nd := ss.d, ss.existing, ss.ended, ss.noDebug
	ss.mu.Unlock()
	if d != nil && !ended && (!existing || !ss.srv.cfg.AcceptMulti) {
		ss.endSession(d.Launched())
	}
	if nd != nil {
		nd.stop()
	}
	ss.stopWatching()
	ss.removeBinary()
}

// stopWatching stops the session's notices and events to this client (a
// session that outlives us, headless, stops telling us).
func (ss *session) stopWatching() {
	ss.mu.Lock()
	stopJobs, stopTargets := ss.stopJobs, ss.stopTargets
	ss.mu.Unlock()
	if stopJobs != nil {
		stopJobs()
	}
	if stopTargets != nil {
		stopTargets()
	}
}
