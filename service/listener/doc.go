// Package listener is the one network listener of dlv-listen's front ends
// (the headless JSON-RPC server and the DAP server): it opens TCP or unix
// socket addresses, refuses connections from other users, and tells DAP
// from JSON-RPC by a connection's first bytes, as dlv does on its headless
// port.
//
// Same-user protection (on by default, dlv's --only-same-user): a TCP
// connection's peer socket is looked up in /proc/net/tcp and
// /proc/net/tcp6 (an IPv4 peer may sit in tcp6 as ::ffff:a.b.c.d), whose
// uid column is the owner of the client's socket; a unix socket's peer is
// read with SO_PEERCRED (dlv does not check unix sockets; we do). A refused
// connection is closed and logged, and Accept goes on with the next one.
package listener
