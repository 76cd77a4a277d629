// Package debugger is dlv-listen's debugging session: it owns the
// proc.TargetGroup, serialises commands, converts to Delve's service/api
// types, implements Delve's service.Client in-process so Delve's own
// terminal runs on it, and publishes job-control events.
//
// Delve's own service/debugger cannot be used: it builds its target itself
// from a hard-coded list of backends and keeps it unexported. This package
// is written against Delve's pkg/proc, pkg/locspec and service/api and
// follows the behaviour of Delve's service/debugger and service/rpc2
// (Delve v1.27.2), which it does not copy.
//
// Concurrency follows Delve: every command that touches the target holds
// one mutex (Delve's targetMutex); Halt alone reaches the target without
// it, through proc.TargetGroup.RequestManualStop, so it works while a
// continue, next, step or call runs in another goroutine.
//
// Job control: the session subscribes to the backend's events and turns
// each into a one-line notice (SetNoticeFunc). Two session commands,
// reachable through Client.CallAPI("Command") under the names
// CommandJobs and CommandSignal, add the terminal commands `jobs` and
// `signal` through Delve's Starlark command_ extension.
package debugger
