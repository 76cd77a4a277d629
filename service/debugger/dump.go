package debugger

// Core dumps of the debugged process, as Delve's DumpStart/DumpWait/
// DumpCancel: the dump runs in the background holding the target lock, so
// the process stays held (and in its job state: nothing is resumed or
// signalled) until the file is written; clients poll its progress.

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/go-delve/delve/service/api"
)

var (
	// ErrDumpInProgress answers a dump started while one runs.
	ErrDumpInProgress = errors.New("core dump in progress")
	// ErrDumpNotSupported answers a dump of a target that cannot be
	// dumped (a core file).
	ErrDumpNotSupported = errors.New("core dumping not supported")
)

// dumpStart creates dest and starts writing a core of the selected target
// into it; it returns once the dump is under way. The file is created
// before the process is touched: a path that cannot be written is an error
// naming it, and the process is left as it was.
func (d *Debugger) dumpStart(dest string) (api.DumpState, error) {
	d.targetMu.Lock()
	// The lock is handed to the dump and released when it ends.
	locked := true
	defer func() {
		if locked {
			d.targetMu.Unlock()
		}
	}()
	if _, err := d.grp.Valid(); err != nil {
		return api.DumpState{}, err
	}
	if !d.grp.CanDump {
		return api.DumpState{}, ErrDumpNotSupported
	}
	st := &d.dumpState
	st.Mutex.Lock()
	if st.Dumping {
		st.Mutex.Unlock()
		return api.DumpState{}, ErrDumpInProgress
	}
	st.Mutex.Unlock()
	fh, err := os.Create(dest)
	if err != nil {
		var perr *os.PathError
		if errors.As(err, &perr) {
			err = perr.Err
		}
		return api.DumpState{}, fmt.Errorf("cannot dump to %s: %v", dest, err)
	}
	st.Mutex.Lock()
	st.Dumping, st.AllDone, st.Canceled = true, false, false
	st.ThreadsDone, st.ThreadsTotal, st.MemDone, st.MemTotal = 0, 0, 0, 0
	st.Err = nil
	st.DoneChan = make(chan struct{})
	st.Mutex.Unlock()
	tgt := d.grp.Selected
	locked = false
	go func() {
		defer d.targetMu.Unlock()
		tgt.Dump(fh, 0, st) // closes fh and DoneChan
	}()
	return d.dumpWait(0), nil
}

// dumpWait waits up to wait for the dump in progress to end (not at all
// for 0) and returns its state.
func (d *Debugger) dumpWait(wait time.Duration) api.DumpState {
	st := &d.dumpState
	st.Mutex.Lock()
	dumping, done := st.Dumping, st.DoneChan
	st.Mutex.Unlock()
	if dumping && wait > 0 {
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-done:
		}
		t.Stop()
	}
	return *api.ConvertDumpState(st)
}

// dumpCancel asks the dump in progress to stop; the file keeps what was
// written.
func (d *Debugger) dumpCancel() error {
	d.dumpState.Mutex.Lock()
	d.dumpState.Canceled = true
	d.dumpState.Mutex.Unlock()
	return nil
}
