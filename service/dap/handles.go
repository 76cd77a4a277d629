package dap

import (
	"fmt"
	"reflect"
	"sync"

	"github.com/go-delve/delve/service/api"
)

// startHandle is the first reference handed out after each stop, as in
// dlv (references are only valid until the next stop).
const startHandle = 1000

// frameRef is one frame of one goroutine's stack.
type frameRef struct {
	goroutineID int
	frameIndex  int
}

// fqVar is a variable shown to the editor, with how to reach it again.
type fqVar struct {
	*api.Variable
	// fqName is a full expression for the variable (the names from the
	// scope down), or an address-based expression; "" when it cannot be
	// reloaded.
	fqName string
	// isScope: a Locals/Globals/Registers scope.
	isScope bool
	// startIndex: index of the first child (a page of an array, slice or
	// map).
	startIndex int
	// goroutineID and frameIndex: the scope the variable belongs to.
	goroutineID int
	frameIndex  int
}

// memRef is a memory range an editor may read (slices, strings).
type memRef struct {
	addr uint64
	size int64
}

// handleSet holds every reference handed out since the last stop.
type handleSet struct {
	mu         sync.Mutex
	next       int
	frames     map[int]frameRef
	vars       map[int]*fqVar
	memRefs    map[string]memRef
	nextMemRef int
}

func (h *handleSet) reset() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.next = startHandle
	h.frames = map[int]frameRef{}
	h.vars = map[int]*fqVar{}
	h.memRefs = map[string]memRef{}
}

func (h *handleSet) newFrame(f frameRef) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	id := h.next
	h.next++
	h.frames[id] = f
	return id
}

func (h *handleSet) frame(id int) (frameRef, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	f, ok := h.frames[id]
	return f, ok
}

func (h *handleSet) newVariable(v *fqVar) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	id := h.next
	h.next++
	h.vars[id] = v
	return id
}

func (h *handleSet) variable(id int) (*fqVar, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	v, ok := h.vars[id]
	return v, ok
}

// memoryReference returns a reference to the memory of a slice or
// string, "" for other variables.
func (h *handleSet) memoryReference(v *api.Variable) string {
	if v == nil || v.Unreadable != "" || (v.Kind != reflect.Slice && v.Kind != reflect.String) || (v.Addr == 0 && v.Base == 0) {
		return ""
	}
	addr := v.Addr
	if v.Base != 0 {
		addr = v.Base
	}
	ref := fmt.Sprintf("0x%x", addr)
	h.mu.Lock()
	h.memRefs[ref] = memRef{addr: addr, size: v.Len}
	h.mu.Unlock()
	return ref
}

func (h *handleSet) memory(ref string) (memRef, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	m, ok := h.memRefs[ref]
	return m, ok
}
