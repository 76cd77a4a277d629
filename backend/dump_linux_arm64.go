package backend

import "github.com/go-delve/delve/pkg/elfwriter"

// DumpProcessNotes leaves the thread notes to proc, which writes them in
// Delve's platform-independent format, as Delve's native backend does on
// arm64: stock dlv and dlv-listen open such a core, gdb sees its memory
// but not its threads.
func (p *Process) DumpProcessNotes(notes []elfwriter.Note, threadDone func()) (bool, []elfwriter.Note, error) {
	if err := p.needStopped(); err != nil {
		return false, notes, err
	}
	return false, notes, nil
}
