package backend

import (
	"errors"
	"runtime"
	"strconv"

	"github.com/go-delve/delve/pkg/proc"
	"golang.org/x/sys/unix"
)

// Loading a followed child's debug information before it execs.
//
// A followed child's debug information is loaded at its exec (proc's
// AddTargetFunc calls LoadBinaryInfo), between its execve and its first
// instruction: 20 to 45 ms for a 3 MB Go program, while the child waits,
// and so does a parent that runs one child after another and waits for
// each. Programs that start children tend to start the same program again
// (a pool of workers, a supervisor restarting one, a runner of tests). So
// once a child has been made a target, the debug information of its
// executable is loaded again in the background, for the next child that
// execs it, on what is mostly an idle core (the parent sleeps in wait4
// while the child runs). proc adds an image once per path and entry point
// (BinaryInfo.AddImage returns at once for one it holds), so a child given
// that BinaryInfo loads nothing in AddTargetFunc.
//
// A spare is given only to a child that execs the same file (device,
// inode, size and modification time of /proc/PID/exe, against the path's
// before and after the load) at the same entry point (a position-
// independent executable is loaded elsewhere each time, and its spare is
// dropped). One spare is kept per executable, for at most maxSpares
// executables of at most maxSpareSize bytes: a spare holds as much memory
// as the target it will become. Close waits for the loads in flight, so
// none outlives the session.

const (
	maxSpares    = 2
	maxSpareSize = 32 << 20
)

// spare is the debug information of an executable, loaded for the next
// child that execs it.
type spare struct {
	done  chan struct{} // closed when bi is loaded (or err set)
	bi    *proc.BinaryInfo
	err   error
	entry uint64
	file  fileID
}

// fileID names a file's content as the kernel sees it.
type fileID struct {
	dev, ino   uint64
	size       int64
	mtimeNanos int64
}

func fileIDOf(path string) (fileID, error) {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return fileID{}, err
	}
	return fileID{st.Dev, st.Ino, st.Size, st.Mtim.Nano()}, nil
}

// takeSpare gives np, before it is made a target, the spare loaded for
// path if it matches np's program; the spare is used up either way.
// proc's goroutine.
func (g *group) takeSpare(np *Process, path string) {
	g.mu.Lock()
	s := g.spares[path]
	delete(g.spares, path)
	g.mu.Unlock()
	if s == nil {
		return
	}
	<-s.done
	entry, err := np.EntryPoint()
	file, ferr := fileIDOf("/proc/" + strconv.Itoa(np.pid) + "/exe")
	if s.err != nil || err != nil || ferr != nil || entry != s.entry || file != s.file {
		g.sparesDropped.Add(1)
		return
	}
	np.bi = s.bi
	g.sparesUsed.Add(1)
}

// prefetch loads in the background the debug information of path, the
// program of np, which is being made a target, for the next child that
// execs it. proc's goroutine.
func (g *group) prefetch(np *Process, path string) {
	entry, err := np.EntryPoint()
	if err != nil {
		return
	}
	file, err := fileIDOf(path)
	if err != nil || file.size > maxSpareSize {
		return
	}
	g.mu.Lock()
	if g.closing || g.spares[path] != nil || len(g.spares) >= maxSpares {
		g.mu.Unlock()
		return
	}
	if g.spares == nil {
		g.spares = make(map[string]*spare)
	}
	s := &spare{done: make(chan struct{}), entry: entry, file: file}
	g.spares[path] = s
	dirs := g.debugInfoDirs
	g.loading.Add(1)
	g.mu.Unlock()
	go func() {
		defer g.loading.Done()
		defer close(s.done)
		addProcs(0, +1) // procs_linux.go
		defer addProcs(0, -1)
		bi := proc.NewBinaryInfo(runtime.GOOS, runtime.GOARCH, true)
		s.err = bi.LoadBinaryInfo(path, entry, dirs)
		if after, err := fileIDOf(path); err != nil || after != file {
			s.err = errors.New("the executable changed while it loaded")
		}
		s.bi = bi
	}()
}

// dropSpares ends prefetching: the loads in flight are waited for, and
// every spare is dropped.
func (g *group) dropSpares() {
	g.mu.Lock()
	g.closing = true
	g.spares = nil
	g.mu.Unlock()
	g.loading.Wait()
}
