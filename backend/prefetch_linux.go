package backend

import (
	"errors"
	"runtime"
	"strconv"

	"github.com/go-delve/delve/pkg/proc"
	"golang.org/x/sys/unix"
)

// A followed child's debug information, without loading it at its exec.
//
// A followed child's debug information is loaded at its exec (proc's
// AddTargetFunc calls LoadBinaryInfo), between its execve and its first
// instruction: 20 to 45 ms for a 3 MB Go program, while the child waits,
// and so does a parent that runs one child after another and waits for
// each. Native pays it for every child. Programs that start children tend
// to start the same program again (a pool of workers, a supervisor
// restarting one, a runner of tests), so a child is given, when there is
// one, a spare: the debug information of its program, ready. proc adds an
// image once per path and entry point (BinaryInfo.AddImage returns at once
// for one it holds), so a child given a BinaryInfo that holds its program
// loads nothing in AddTargetFunc. A spare comes from one of two places:
//
//   - a child that ended: its BinaryInfo is kept for the next child of the
//     same program (recycle). After LoadBinaryInfo, a BinaryInfo holding
//     only its executable's image is the same for every process of that
//     file at that entry point: what proc keeps in it later is read from
//     the file (functions, types, inlined calls, the trees of DWARF
//     entries) or cleared at every resume (the module data, read from
//     memory, Target.ClearCaches). One that holds a shared library's image
//     is not kept: each process maps its libraries at its own addresses;
//   - a load in the background, started when a child is made a target and
//     no ended child gave it a spare (prefetch): for children that run at
//     the same time, on what is mostly an idle core (the parent sleeps in
//     wait4 while the child runs). A parent that runs one child at a time
//     is then served by recycling alone, and nothing is loaded twice.
//
// A spare is given only to a child that execs the same file (device,
// inode, size, modification and change times of /proc/PID/exe; a load's
// are also checked against the path's before and after it) at the same
// entry point (a position-independent executable is loaded elsewhere each
// time, and its spare is dropped). One spare is kept per executable, for
// at most maxSpares executables of at most maxSpareSize bytes: a spare
// holds as much memory as the target it will become. Close waits for the
// loads in flight and closes every spare's files, so none outlives the
// session.

const (
	maxSpares    = 2
	maxSpareSize = 32 << 20
)

// exeID is the program a process runs, as a spare must match it.
type exeID struct {
	path  string // as /proc/PID/exe names it
	entry uint64
	file  fileID // of /proc/PID/exe
}

// exeOf names np's program; ok is false when the kernel does not say.
func exeOf(np *Process, path string) (id exeID, ok bool) {
	entry, err := np.EntryPoint()
	if err != nil {
		return exeID{}, false
	}
	file, err := fileIDOf("/proc/" + strconv.Itoa(np.pid) + "/exe")
	if err != nil {
		return exeID{}, false
	}
	return exeID{path, entry, file}, true
}

// spare is the debug information of an executable, ready or loading for
// the next child that execs it.
type spare struct {
	done     chan struct{}    // closed when bi is loaded (or err set)
	bi       *proc.BinaryInfo // set under mu
	err      error
	exe      exeID
	recycled bool // bi is an ended child's
	// dropped: no one will be given bi (mu); whichever of discard and the
	// load comes last closes it.
	dropped bool
}

// discard closes the files of s's BinaryInfo, which no one is given: now
// if it is loaded, else when its load ends (prefetch), which Close waits
// for.
func (g *group) discard(s *spare) {
	g.mu.Lock()
	s.dropped = true
	bi := s.bi
	g.mu.Unlock()
	if bi != nil {
		bi.Close()
	}
}

// fileID names a file's content as the kernel sees it: the change time
// moves with every write and cannot be set back, as the modification time
// can.
type fileID struct {
	dev, ino   uint64
	size       int64
	mtimeNanos int64
	ctimeNanos int64
}

func fileIDOf(path string) (fileID, error) {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return fileID{}, err
	}
	return fileID{st.Dev, st.Ino, st.Size, st.Mtim.Nano(), st.Ctim.Nano()}, nil
}

// takeSpare gives np, before it is made a target, the spare kept for its
// program's path if it matches np's program; the spare is used up either
// way. It says whether np got an ended child's. proc's goroutine.
func (g *group) takeSpare(np *Process, id exeID) (recycled bool) {
	g.mu.Lock()
	s := g.spares[id.path]
	delete(g.spares, id.path)
	g.mu.Unlock()
	if s == nil {
		return false
	}
	<-s.done
	if s.err != nil || s.exe != id {
		g.sparesDropped.Add(1)
		g.discard(s)
		return false
	}
	np.bi = s.bi
	g.sparesUsed.Add(1)
	if s.recycled {
		g.sparesRecycled.Add(1)
	}
	return s.recycled
}

// prefetch loads in the background the debug information of np's program,
// which is being made a target, for the next child that execs it. proc's
// goroutine.
func (g *group) prefetch(id exeID) {
	if id.file.size > maxSpareSize {
		return
	}
	g.mu.Lock()
	if g.closing || g.spares[id.path] != nil || len(g.spares) >= maxSpares {
		g.mu.Unlock()
		return
	}
	if g.spares == nil {
		g.spares = make(map[string]*spare)
	}
	s := &spare{done: make(chan struct{}), exe: id}
	g.spares[id.path] = s
	dirs := g.debugInfoDirs
	g.loading.Add(1)
	g.mu.Unlock()
	go func() {
		defer g.loading.Done()
		defer close(s.done)
		addProcs(0, +1) // procs_linux.go
		defer addProcs(0, -1)
		bi := proc.NewBinaryInfo(runtime.GOOS, runtime.GOARCH, true)
		// The path may name another file by now: the load must read the
		// child's (checked before and after).
		before, err := fileIDOf(id.path)
		if err == nil && before == id.file {
			err = bi.LoadBinaryInfo(id.path, id.entry, dirs)
		} else if err == nil {
			err = errors.New("the executable was replaced")
		}
		if after, ferr := fileIDOf(id.path); err == nil && (ferr != nil || after != id.file) {
			err = errors.New("the executable changed while it loaded")
		}
		g.mu.Lock()
		s.bi, s.err = bi, err
		dropped := s.dropped
		g.mu.Unlock()
		if dropped {
			bi.Close()
		}
	}()
}

// recycle keeps the debug information of p, a followed child that ended,
// as the spare of its program, and says whether it did (the caller closes
// it otherwise). A spare loading or loaded for the program is dropped for
// it: this one is ready now. The tracer thread of p, which saw it exit.
func (g *group) recycle(p *Process) bool {
	// Images changes only in p's continue, before the tracer ends it,
	// and at its adoption.
	if g == nil || p.exe == nil || len(p.bi.Images) != 1 {
		return false
	}
	s := &spare{done: make(chan struct{}), bi: p.bi, exe: *p.exe, recycled: true}
	close(s.done)
	g.mu.Lock()
	old := g.spares[s.exe.path]
	if g.closing || (old == nil && len(g.spares) >= maxSpares) {
		g.mu.Unlock()
		return false
	}
	if g.spares == nil {
		g.spares = make(map[string]*spare)
	}
	g.spares[s.exe.path] = s
	g.mu.Unlock()
	if old != nil {
		g.discard(old)
	}
	return true
}

// dropSpares ends prefetching and recycling: the loads in flight are
// waited for, and every spare is closed.
func (g *group) dropSpares() {
	g.mu.Lock()
	g.closing = true
	spares := g.spares
	g.spares = nil
	g.mu.Unlock()
	for _, s := range spares {
		g.discard(s)
	}
	g.loading.Wait()
}
