package dap

import (
	"errors"
	"net"

	"github.com/dlv-listen/dlv-listen/service/debugger"
)

// Config configures a Server.
type Config struct {
	// Log receives the server's diagnostics; nil = none.
	Log func(format string, args ...any)
}

// Server serves DAP clients.
type Server struct {
	cfg Config
}

// NewServer returns a server with cfg.
func NewServer(cfg Config) *Server { return &Server{cfg: cfg} }

// ServeConn serves one DAP client until it disconnects. With existing ==
// nil the client must launch or attach (as with `dlv dap`); with a session
// (a headless dlv-listen), the client attaches to it with mode "remote".
func (s *Server) ServeConn(conn net.Conn, existing *debugger.Debugger) error {
	defer conn.Close()
	return errors.New("dap: not implemented yet")
}
