// Command dlv-listen is a Go debugger for Linux that is faithful to job
// control: Delve's terminal on dlv-listen's PTRACE_SEIZE backend. A
// debuggee stopped by SIGSTOP, SIGTSTP, SIGTTIN or SIGTTOU stays stopped
// while it is debugged, and every change of its job-control state is
// announced.
//
//	dlv-listen attach <pid> [executable]
//	dlv-listen exec <binary> [-- args]
//	dlv-listen debug [package] [-- args]
//	dlv-listen trace [package] regexp [-- args]
//	dlv-listen version
//
// This package is the command-line front end only: flags, building, the
// terminal and who owns the controlling terminal; debugging is
// service/debugger's and ptrace is backend's.
package main

import "os"

func main() {
	os.Exit(run(os.Args[1:]))
}
