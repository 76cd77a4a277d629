package debugger

// Sessions on core files: Delve's own reader (pkg/proc/core) behind the
// same session as a live process. There is no process, so no job control:
// job-state answers say so, and what needs a live process answers as
// Delve's core target does (proc returns core.ErrContinueCore and the
// like).

import (
	"debug/buildinfo"
	"debug/elf"
	"errors"
	"fmt"
	"go/constant"
	"os"
	"slices"
	"strings"

	"github.com/go-delve/delve/pkg/proc"
	"github.com/go-delve/delve/pkg/proc/core"

	"github.com/dlv-listen/dlv-listen/internal/hugeheap"
)

// isCore reports whether the session is on a core file.
func (d *Debugger) isCore() bool { return d.first.Load() == nil }

// errNoProcess answers what needs a live process on a core session.
func (d *Debugger) errNoProcess() error {
	return fmt.Errorf("no live process: the session is on core file %s", d.cfg.CoreFile)
}

// errNotRecording answers reverse execution: on a core as Delve's core
// target does (a core is "recorded" to Delve, and cannot run either way).
func (d *Debugger) errNotRecording() error {
	if d.isCore() {
		return core.ErrContinueCore
	}
	return ErrNotRecording
}

// backendName is GetVersion's Backend: "core" on a core, as dlv says.
func (d *Debugger) backendName() string {
	if d.isCore() {
		return "core"
	}
	return "seize"
}

// checkCoreInput checks what the user named before the core is read: both
// files exist, the executable is a Go program, the core is an ELF core
// file. Each error is one line naming the file and the reason.
func checkCoreInput(exe, corePath string) error {
	xf, err := openRegular(exe)
	if err != nil {
		return fmt.Errorf("executable %s: %w", exe, err)
	}
	defer xf.Close()
	cf, err := openRegular(corePath)
	if err != nil {
		return fmt.Errorf("core file %s: %w", corePath, err)
	}
	defer cf.Close()
	if _, err := buildinfo.Read(xf); err != nil {
		// Whatever the file is (another ELF program, a script), it
		// carries no Go build information.
		return fmt.Errorf("executable %s is not a Go program: it has no Go build information", exe)
	}
	ef, err := elf.NewFile(cf)
	if err != nil {
		return fmt.Errorf("core file %s is not a core file: not an ELF file", corePath)
	}
	if ef.Type != elf.ET_CORE {
		return fmt.Errorf("core file %s is not a core file: an ELF file of type %v", corePath, ef.Type)
	}
	return nil
}

// openRegular opens a file that must be a regular one; the error is the
// reason alone (the caller names the file).
func openRegular(path string) (*os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, pathReason(err)
	}
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		f.Close()
		if err != nil {
			return nil, pathReason(err)
		}
		return nil, errors.New("not a regular file")
	}
	return f, nil
}

// pathReason strips the path from an *os.PathError: the message names the
// file already.
func pathReason(err error) error {
	var perr *os.PathError
	if errors.As(err, &perr) {
		return perr.Err
	}
	return err
}

// moduleBounds are the fields of the runtime's first module data that
// the linker fixes for one executable: where its sections start and end.
var moduleBounds = []string{"etext", "noptrdata", "enoptrdata", "data", "edata", "bss", "ebss", "noptrbss", "enoptrbss", "end"}

// checkCoreOfExecutable tells a core of another program: the runtime's
// module data (writable memory, so it is in every core, Delve's dumps and
// the kernel's) records the bounds of the executable's sections, which the
// linker chose for exactly this executable. They are compared with the
// executable's own symbols (runtime.etext and so on), relocated as the
// core's reader relocated the executable.
func checkCoreOfExecutable(tgt *proc.Target, exe, corePath string) error {
	f, err := elf.Open(exe)
	if err != nil {
		return fmt.Errorf("executable %s: %w", exe, pathReason(err))
	}
	defer f.Close()
	syms, err := f.Symbols()
	if err != nil {
		// A stripped executable: nothing to compare (and little to debug).
		return nil
	}
	want := make(map[string]uint64, len(moduleBounds))
	for _, s := range syms {
		if name, ok := strings.CutPrefix(s.Name, "runtime."); ok && slices.Contains(moduleBounds, name) {
			want[name] = s.Value
		}
	}
	// A package variable needs no goroutine or frame: a scope of none.
	scope := proc.FrameToScope(tgt, tgt.Memory(), nil, 0, proc.Stackframe{})
	md, err := scope.EvalExpression("runtime.firstmoduledata", proc.LoadConfig{MaxStructFields: -1})
	if err == nil && md.Unreadable != nil {
		err = md.Unreadable
	}
	if err != nil {
		return fmt.Errorf("core file %s was not dumped from %s: the runtime's module data cannot be read (%v)", corePath, exe, err)
	}
	got := make(map[string]uint64, len(md.Children))
	for _, field := range md.Children {
		if field.Value != nil && field.Value.Kind() == constant.Int {
			got[field.Name], _ = constant.Uint64Val(field.Value)
		}
	}
	base := tgt.BinInfo().Images[0].StaticBase
	for _, field := range moduleBounds {
		sym, ok := want[field]
		if !ok {
			continue
		}
		if got[field] != sym+base {
			return fmt.Errorf("core file %s was not dumped from %s: the program in it has runtime.%s at %#x, the executable at %#x",
				corePath, exe, field, got[field], sym+base)
		}
	}
	return nil
}

// openCore reads corePath with Delve's core reader and checks it belongs
// to exe.
func openCore(exe, corePath string, debugInfoDirs []string) (*proc.TargetGroup, error) {
	if err := checkCoreInput(exe, corePath); err != nil {
		return nil, err
	}
	hugeheap.PrepareFor(exe)
	grp, err := core.OpenCore(corePath, exe, debugInfoDirs)
	if err != nil {
		if errors.Is(err, core.ErrUnrecognizedFormat) {
			return nil, fmt.Errorf("core file %s is not a core file: %w", corePath, err)
		}
		return nil, fmt.Errorf("open core file %s: %w", corePath, err)
	}
	if err := checkCoreOfExecutable(grp.Selected, exe, corePath); err != nil {
		_ = grp.Detach(false)
		return nil, err
	}
	return grp, nil
}

// CmdLine is the command line of the debugged process as proc knows it
// ("" for a core file, whose reader records none, as in dlv).
func (d *Debugger) CmdLine() string {
	d.targetMu.Lock()
	defer d.targetMu.Unlock()
	return d.grp.Selected.CmdLine
}
