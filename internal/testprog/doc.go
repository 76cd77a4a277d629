// Package testprog builds and runs the job-controlled debuggee programs the tests debug.
//
// The programs live in src/<name> (counter, notify, tstp, threads,
// planted, bigticker, jobparent, traceloop, forker, spawner, pipeline). Start runs one of them under jobparent, a tiny stand-in for a
// job-control shell that puts the target in its own process group and
// records every wait status (stopped/continued/exited/signaled) in an
// events file, so tests can see exactly what a shell would see.
package testprog
