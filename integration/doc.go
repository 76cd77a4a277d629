// Package integration drives the dlv-listen binary end to end: through a pseudo-terminal, with real job control.
//
// The tests build cmd/dlv-listen once (TestMain), run it in a pty
// (github.com/creack/pty) against the debuggees of internal/testprog, and
// drive Delve's terminal as a user would: commands at the "(dlv) " prompt,
// Ctrl-C and Ctrl-Z typed into the terminal, kill(2) from outside, and a
// real interactive bash running the debuggee as a job.
package integration
