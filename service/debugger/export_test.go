package debugger

import (
	"sort"

	"github.com/go-delve/delve/service/api"
)

// ThreadsBothWays converts every thread of the stopped session twice: as
// the session's states do (fast, convertThreads) and with Delve's
// api.ConvertThread (slow, proc.GetG); fastPath says whether the fast way
// was taken for every thread. Fast first, so that GetG's cache cannot help
// it.
func ThreadsBothWays(d *Debugger) (fast, slow []*api.Thread, fastPath bool, err error) {
	d.targetMu.Lock()
	defer d.targetMu.Unlock()
	if _, err := d.grp.Valid(); err != nil {
		return nil, nil, false, err
	}
	ths := d.grp.ThreadList()
	sort.Slice(ths, func(i, j int) bool { return ths[i].ThreadID() < ths[j].ThreadID() })
	fastPath = true
	var bps []*api.Breakpoint
	for _, th := range ths {
		fastPath = fastPath && d.gLayouts.of(th.BinInfo()).ok
		bps = append(bps, d.threadBreakpoint(th))
	}
	fast = d.convertThreads(ths, bps)
	for _, th := range ths {
		slow = append(slow, api.ConvertThread(th, d.threadBreakpoint(th)))
	}
	return fast, slow, fastPath, nil
}
