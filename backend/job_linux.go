package backend

import (
	"debug/elf"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/go-delve/delve/pkg/logflags"
	"github.com/go-delve/delve/pkg/proc"
	"golang.org/x/sys/unix"
)

// AttachJob attaches to every process in the process group of pid (a
// job: what a shell stops with Ctrl-Z and continues with fg), as Attach
// does to one, and follows the children they start (follow-exec on, any
// program). pid's process is the first target when it can be debugged.
//
// Members that are not Go programs with debug information are left
// untouched and returned as skipped. A member that cannot be traced
// (another user's, already traced, a zombie, this debugger) fails the whole
// attach with one error naming each such pid and why, before any member is
// touched. Each member keeps its job-control state: a stopped job stays
// stopped.
func AttachJob(pid int, debugInfoDirs []string) (*proc.TargetGroup, []Skipped, error) {
	if err := checkAttachable(pid); err != nil {
		return nil, nil, fmt.Errorf("attach --job: %w", err)
	}
	pgid := pgidOf(pid)
	if pgid == 0 {
		return nil, nil, fmt.Errorf("attach --job: process %d: no such process", pid)
	}
	members := groupMembers(pgid)
	// pid first, then the rest in pid order.
	sort.Slice(members, func(i, j int) bool {
		if (members[i] == pid) != (members[j] == pid) {
			return members[i] == pid
		}
		return members[i] < members[j]
	})
	var (
		refused []string
		skipped []Skipped
		debug   []int
	)
	for _, m := range members {
		if m != pid && (transient(m) || vforkedBy(m, members)) {
			// A child of a member that is ending, or already gone: the
			// job's own churn (os/exec children share their parent's
			// process group), not a member to refuse the attach for.
			continue
		}
		if err := checkAttachable(m); err != nil {
			if m != pid && transient(m) {
				continue // it ended since the look above
			}
			refused = append(refused, strings.TrimPrefix(err.Error(), "attach to "))
			continue
		}
		if err := checkGoProgram(m); err != nil {
			skipped = append(skipped, Skipped{Pid: m, Comm: commOf(m), Reason: "not a Go program"})
			continue
		}
		if err := checkDebugInfo(m, debugInfoDirs); err != nil {
			skipped = append(skipped, Skipped{Pid: m, Comm: commOf(m), Reason: skipReason(m, err)})
			continue
		}
		debug = append(debug, m)
	}
	if len(refused) > 0 {
		return nil, nil, fmt.Errorf("attach --job %d: process group %d has members that cannot be traced: %s", pid, pgid, strings.Join(refused, "; "))
	}
	if len(debug) == 0 {
		var why []string
		for _, s := range skipped {
			why = append(why, fmt.Sprintf("%d (%s): %s", s.Pid, s.Comm, s.Reason))
		}
		return nil, nil, fmt.Errorf("attach --job %d: no process of group %d can be debugged: %s", pid, pgid, strings.Join(why, "; "))
	}
	grp, err := Attach(debug[0], nil, debugInfoDirs)
	if err != nil {
		return nil, nil, err
	}
	if err := FollowExec(grp, true, ""); err != nil {
		_ = grp.Detach(false)
		return nil, nil, err
	}
	g, _ := groupOf(grp)
	for _, m := range debug[1:] {
		if err := g.attachMember(m); err != nil && !transient(m) {
			logflags.DebuggerLogger().Warnf("dlv-listen backend: job %d: member %d left alone: %v", pgid, m, err)
			skipped = append(skipped, Skipped{Pid: m, Comm: commOf(m), Reason: err.Error()})
		}
	}
	return grp, skipped, nil
}

// attachMember attaches one more process of the job and makes it a target,
// as Attach does for the first; on error it is let go as it was.
func (g *group) attachMember(pid int) error {
	p := newProcessIn(pid, g)
	if err := p.seize(); err != nil {
		return err
	}
	p.startFreeRun()
	if err := p.loaded(p.becomeTarget(fmt.Sprintf("/proc/%d/exe", pid), proc.StopAttached)); err != nil {
		_ = p.detachOrKill(false)
		return explainLoadError(pid, err)
	}
	g.mu.Lock()
	g.procs = append(g.procs, p)
	g.mu.Unlock()
	return nil
}

// skipReason says in a few words why checkDebugInfo refused a member.
func skipReason(pid int, err error) string {
	msg := err.Error()
	if i := strings.Index(msg, ": "); i >= 0 && strings.HasPrefix(msg, "attach to process") {
		msg = msg[i+2:]
	}
	return msg
}

// groupMembers lists the processes whose process group is pgid.
func groupMembers(pgid int) []int {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var pids []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if pgidOf(pid) == pgid {
			pids = append(pids, pid)
		}
	}
	return pids
}

// checkGoProgram refuses an executable that is not a Go program: it has
// none of the sections the Go linker writes (.go.buildinfo, .gopclntab,
// .note.go.buildid). An unreadable one passes: loading will say.
func checkGoProgram(pid int) error {
	f, err := elf.Open(fmt.Sprintf("/proc/%d/exe", pid))
	if err != nil {
		return nil
	}
	defer f.Close()
	for _, name := range []string{".go.buildinfo", ".gopclntab", ".note.go.buildid"} {
		if f.Section(name) != nil {
			return nil
		}
	}
	path, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
	return fmt.Errorf("process %d: %s is not a Go program", pid, strings.TrimSuffix(path, " (deleted)"))
}

// transient reports whether pid is gone or a zombie, or a child that a
// debugged process of ours already traces (a member's child the kernel
// attached to us, which the member's tracer lets go or follows).
func transient(pid int) bool {
	st := readStatus(fmt.Sprintf("/proc/%d/status", pid))
	state := st["State"]
	if state == "" || state[0] == 'Z' || state[0] == 'X' {
		return true
	}
	tracer, _ := strconv.Atoi(st["TracerPid"])
	return tracer != 0 && tgidOf(tracer) == os.Getpid()
}

// vforkedBy reports whether pid shares its memory with its parent, a
// member of the job: a vfork child (os/exec) that has not exec'd yet. It
// runs the parent's code in the parent's memory, where the parent's
// breakpoints are; it is not a program of its own until its exec.
func vforkedBy(pid int, members []int) bool {
	f := statFields(pid) // state ppid ...
	if len(f) < 2 {
		return false
	}
	ppid, _ := strconv.Atoi(f[1])
	for _, m := range members {
		if m == ppid {
			r, _, errno := unix.Syscall6(unix.SYS_KCMP, uintptr(ppid), uintptr(pid), kcmpVM, 0, 0, 0)
			return errno == 0 && r == 0
		}
	}
	return false
}
