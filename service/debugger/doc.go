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
// Job control: the session subscribes to the backend's events of every
// process (the one attached or launched, the members of an attached job,
// each child followed after exec: processes.go), turns each into a
// one-line notice naming the process (SetNoticeFunc) and a numbered
// jobapi.JobEvent (JobEventsAfter: a bounded log, and a reader that fell
// behind it is told what it lost); the processes of one process group
// make a job (listenmode.Job), announced once when all of them stop or
// continue. JobStatus and SendSignal answer and act in jobapi's terms for
// the front ends.
//
// Several processes (targets.go): follow-exec (FollowExec, Config), the
// target events of proc's events function (OnTargetEvent: a process
// spawned or exited, a suspended breakpoint materialized), and Delve's
// rules for breakpoints with several targets.
//
// Sessions are made in one place, session.go (Build, Attach, Launch,
// Close), for every front end.
package debugger
