package backend

import (
	"errors"

	"github.com/go-delve/delve/pkg/proc"
)

// proc.ProcessInternal has two eBPF methods whose parameter and result types
// live in Delve's internal ebpf package, which no other module may name.
// bpfStub's type parameters are inferred from the interface's own method
// expressions, so it satisfies them without naming those types. It embeds a
// nil ProcessInternal only to complete the method set; Process defines every
// other method itself, so nothing else is ever reached through it.
// GetBufferedTracepoints is called even when SupportsBPF is false, so it must
// answer, not panic.
type bpfStub[ArgMap, Params any] struct{ proc.ProcessInternal }

func (bpfStub[ArgMap, Params]) SetUProbe(string, int64, []ArgMap) error {
	return errors.New("eBPF tracing is not supported by dlv-listen")
}

func (bpfStub[ArgMap, Params]) GetBufferedTracepoints() []Params { return nil }

func newBPFStub[ArgMap, Params any](
	func(proc.ProcessInternal, string, int64, []ArgMap) error,
	func(proc.ProcessInternal) []Params,
) proc.ProcessInternal {
	// Only the instantiation knows the types are the interface's own.
	return any(bpfStub[ArgMap, Params]{}).(proc.ProcessInternal)
}

var bpfUnsupported = newBPFStub(proc.ProcessInternal.SetUProbe, proc.ProcessInternal.GetBufferedTracepoints)
