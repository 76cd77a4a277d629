// Package dap is dlv-listen's Debug Adapter Protocol server: the layer
// that speaks DAP (github.com/google/go-dap) to editors (VS Code Go,
// nvim-dap-go, Helix, Zed) over one session of service/debugger.
//
// It follows the behaviour of Delve's own service/dap (Delve v1.27.2):
// the same requests, argument names, defaults, error ids and messages,
// since editors match on them (vscode-go looks for "debuggee is running").
// Delve's server cannot be reused: it is built on Delve's concrete
// debugger. This one uses only the session layer (service/debugger's
// in-process service.Client and its job-control notices), never the
// backend.
//
// What it adds to dlv's: job control. Every change of the debuggee's job
// state becomes an output event (category "important"), a group-stop that
// ends while the editor shows the program stopped becomes a "continued"
// event, pause says when the process is job-stopped, and a client that
// asks for it (launch/attach attribute jobControlEvents) also gets the
// custom event dlvListenJobControl. The custom request dlvListenSignal and
// the repl commands "dlv jobs" and "dlv signal SIG" let a user continue a
// stopped process from the editor.
//
// Several processes (targets.go, threadids.go): the launch and attach
// attributes followExec and followExecRegex follow exec'd children as dlv
// does (dlv refuses them in attach), an attach with "job": true takes every
// process of a job; each child gets a "process" event, a breakpoint no
// process has yet is unverified until a child gives it a location (then a
// "breakpoint" event), and the threads, stacks and variables of every
// process are shown, each goroutine under a DAP thread id unique in the
// session.
package dap
