package backend

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/go-delve/delve/pkg/proc"
)

// The processes of one session. A session starts with one process (the
// one attached or launched) and grows when a child execs a program that
// follow-exec takes (fork_linux.go, exec_linux.go) or when a whole job is
// attached (AttachJob). Each process has its own tracer thread, thread
// table and job-control tracker, exactly as a single process has; the
// group only resumes them together and stops them together (group_linux.go).

// Processes returns the processes of a target group built by this package,
// in the order they joined: the one attached or launched first, then the
// other members of an attached job and the children followed after exec.
// A process that has exited or been let go stays in the list (its Valid
// says so), as proc's targets do.
func Processes(grp *proc.TargetGroup) []*Process {
	g, ok := groupOf(grp)
	if !ok {
		return nil
	}
	return g.processes()
}

// OnNewProcess registers fn to be called for each process that joins the
// group from now on, once proc has made it a target and before it runs
// (on the goroutine running proc, inside Continue): the session layer
// subscribes to its job-control events there, before any can be lost.
func OnNewProcess(grp *proc.TargetGroup, fn func(*Process)) {
	g, ok := groupOf(grp)
	if !ok {
		return
	}
	g.mu.Lock()
	g.onNew = append(g.onNew, fn)
	g.mu.Unlock()
}

// FollowExec turns following exec'd children on or off, as
// proc.TargetGroup.FollowExec does: with it on, a child that execs a
// program whose command line matches regex ("" = any) becomes a new target.
// The regex is kept here too, so a child that cannot match is let go at its
// exec without being handed to a tracer of its own. An invalid regex is
// an error that names it, and changes nothing.
func FollowExec(grp *proc.TargetGroup, on bool, regex string) error {
	var rx *regexp.Regexp
	if on && regex != "" {
		var err error
		if rx, err = regexp.Compile(regex); err != nil {
			return fmt.Errorf("invalid follow-exec regex %q: %w", regex, err)
		}
	}
	g, ok := groupOf(grp)
	if !ok {
		return errors.New("follow-exec: the target group was not built by dlv-listen's backend")
	}
	if err := grp.FollowExec(on, regex); err != nil {
		return err
	}
	g.mu.Lock()
	g.follow, g.followRx = on, rx
	g.mu.Unlock()
	return nil
}

// Skipped is a member of a job that AttachJob left alone, and why.
type Skipped struct {
	Pid    int
	Comm   string // /proc/PID/comm
	Reason string // e.g. "not a Go program", "no debug information"
}

func groupOf(grp *proc.TargetGroup) (*group, bool) {
	if grp == nil || grp.Selected == nil {
		return nil, false
	}
	p, ok := grp.Selected.Process.(*Process)
	if !ok || p.g == nil {
		return nil, false
	}
	return p.g, true
}

// Pgid is the process group (job) the process belongs to, from
// /proc/PID/stat; 0 once it is gone.
func (p *Process) Pgid() int { return pgidOf(p.pid) }

// Cmdline is the process's command line as proc shows it (arguments
// joined by spaces, those with blanks quoted).
func (p *Process) Cmdline() string { return cmdline(p.pid) }

// pgidOf reads the process group of pid: field 5 of /proc/PID/stat, after
// the command name in parentheses (which may hold spaces and parentheses).
// 0 if the process is gone.
func pgidOf(pid int) int {
	f := statFields(pid) // state ppid pgrp ...
	if len(f) < 3 {
		return 0
	}
	n, _ := strconv.Atoi(f[2])
	return n
}

// statFields returns the fields of /proc/PID/stat after the command name
// in parentheses (which may hold spaces and parentheses): state, ppid,
// pgrp, ... nil if the process is gone.
func statFields(pid int) []string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return nil
	}
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return nil
	}
	return strings.Fields(string(b[i+1:]))
}
