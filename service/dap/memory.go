package dap

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"

	"github.com/go-delve/delve/service/api"
	"github.com/google/go-dap"
)

func (ss *session) onReadMemory(r *dap.ReadMemoryRequest) {
	a := r.Arguments
	if a.Count < 0 {
		ss.sendError(r.Request, UnableToReadMemory, "Unable to read memory", "negative count")
		return
	}
	ref, ok := ss.handles.memory(a.MemoryReference)
	if !ok {
		ss.sendError(r.Request, UnableToReadMemory, "Unable to read memory", "unknown memoryReference")
		return
	}
	if a.Count == 0 {
		ss.sendReadMemory(r.Request, ref.addr, nil, 0)
		return
	}
	// Only the referenced object is readable through its reference.
	startRead := min(max(int64(a.Offset), 0), ref.size)
	endRead := min(max(int64(a.Offset+a.Count), 0), ref.size)
	addr := ref.addr + uint64(startRead)
	count := endRead - startRead
	if count <= 0 {
		ss.sendReadMemory(r.Request, addr, nil, a.Count)
		return
	}
	unreadable := max(int64(a.Count)-count, 0)
	d, _ := ss.debugger()
	buf := make([]byte, count)
	n, err := d.ReadMemory(buf, addr)
	if err != nil {
		ss.sendError(r.Request, UnableToReadMemory, "Unable to read memory", err.Error())
		return
	}
	unreadable += count - int64(n)
	ss.sendReadMemory(r.Request, addr, buf[:n], int(unreadable))
}

// sendReadMemory answers a readMemory request. The data (often
// megabytes) is base64-encoded straight into the message instead of going
// through encoding/json, which would scan and copy it again: base64's
// alphabet needs no JSON escaping.
func (ss *session) sendReadMemory(req dap.Request, addr uint64, data []byte, unreadable int) {
	resp := &dap.ReadMemoryResponse{Response: *ss.newResponse(req), Body: dap.ReadMemoryResponseBody{
		Address: fmt.Sprintf("%#x", addr), UnreadableBytes: unreadable}}
	if len(data) == 0 {
		ss.send(resp)
		return
	}
	resp.Body.Data = "\x00" // a placeholder encoding/json writes as "\u0000"
	head, err := json.Marshal(resp)
	const placeholder = `"data":"\u0000"`
	i := bytes.Index(head, []byte(placeholder))
	if err != nil || i < 0 {
		resp.Body.Data = base64.StdEncoding.EncodeToString(data)
		ss.send(resp)
		return
	}
	start := i + len(`"data":"`)
	out := make([]byte, 0, len(head)+base64.StdEncoding.EncodedLen(len(data)))
	out = append(out, head[:start]...)
	out = base64.StdEncoding.AppendEncode(out, data)
	out = append(out, head[i+len(placeholder)-1:]...)
	ss.sendRaw(out)
}

func (ss *session) onWriteMemory(r *dap.WriteMemoryRequest) {
	a := r.Arguments
	if a.Data == "" {
		ss.sendError(r.Request, UnableToWriteMemory, "Unable to write memory", "empty data")
		return
	}
	ref, ok := ss.handles.memory(a.MemoryReference)
	if !ok {
		ss.sendError(r.Request, UnableToWriteMemory, "Unable to write memory", "unknown memoryReference")
		return
	}
	data, err := base64.StdEncoding.DecodeString(a.Data)
	if err != nil {
		ss.sendError(r.Request, UnableToWriteMemory, "Unable to write memory", err.Error())
		return
	}
	d, _ := ss.debugger()
	n, err := d.WriteMemory(uint64(int64(ref.addr)+int64(a.Offset)), data)
	if err != nil {
		ss.sendError(r.Request, UnableToWriteMemory, "Unable to write memory", err.Error())
		return
	}
	ss.send(&dap.WriteMemoryResponse{Response: *ss.newResponse(r.Request), Body: dap.WriteMemoryResponseBody{BytesWritten: n}})
	ss.invalidated("variables")
}

// maxInstructionLength is the longest instruction of the architecture.
func maxInstructionLength() int {
	if runtime.GOARCH == "amd64" {
		return 15
	}
	return 4
}

func (ss *session) onDisassemble(r *dap.DisassembleRequest) {
	a := r.Arguments
	addr, err := strconv.ParseUint(a.MemoryReference, 0, 64)
	if err != nil {
		ss.sendError(r.Request, UnableToDisassemble, "Unable to disassemble", err.Error())
		return
	}
	invalid := func(address string) dap.DisassembledInstruction {
		return dap.DisassembledInstruction{Address: address, Instruction: "invalid instruction"}
	}
	if addr == 0 || addr == math.MaxUint64 {
		out := make([]dap.DisassembledInstruction, a.InstructionCount)
		for i := range out {
			out[i] = invalid(a.MemoryReference)
		}
		ss.send(&dap.DisassembleResponse{Response: *ss.newResponse(r.Request), Body: dap.DisassembleResponseBody{Instructions: out}})
		return
	}
	d, c := ss.debugger()
	maxLen := maxInstructionLength()
	byteOffset := a.InstructionOffset * maxLen
	start := addr
	if byteOffset < 0 {
		start = uint64(int64(addr) + int64(byteOffset))
	}
	count := a.InstructionCount
	if byteOffset > 0 {
		count += byteOffset
	}
	end := uint64(int64(addr) + int64(count*maxLen))
	start, end = alignRange(d.TextRange, start, end)
	insts, err := c.DisassembleRange(api.EvalScope{GoroutineID: -1}, start, end, api.GoFlavour)
	if err != nil {
		ss.sendError(r.Request, UnableToDisassemble, "Unable to disassemble", err.Error())
		return
	}
	ref := sort.Search(len(insts), func(i int) bool { return insts[i].Loc.PC >= addr })
	if ref == len(insts) || insts[ref].Loc.PC != addr {
		ss.sendError(r.Request, UnableToDisassemble, "Unable to disassemble", "could not find memory reference")
		return
	}
	// The requested window, from InstructionOffset instructions before or
	// after addr; places outside what exists are "invalid instruction".
	out := make([]dap.DisassembledInstruction, a.InstructionCount)
	lastFile, lastLine := "", -1
	for i := range out {
		j := ref + a.InstructionOffset + i
		switch {
		case j < 0:
			out[i] = invalid("0x0")
			continue
		case j >= len(insts):
			out[i] = invalid(fmt.Sprintf("%#x", uint64(math.MaxUint64)))
			continue
		}
		in := insts[j]
		out[i] = dap.DisassembledInstruction{Address: fmt.Sprintf("%#x", in.Loc.PC), InstructionBytes: fmt.Sprintf("%x", in.Bytes), Instruction: in.Text}
		if in.Loc.File != lastFile || in.Loc.Line != lastLine {
			out[i].Location = &dap.Source{Path: in.Loc.File}
			out[i].Line = in.Loc.Line
			lastFile, lastLine = in.Loc.File, in.Loc.Line
		}
	}
	ss.send(&dap.DisassembleResponse{Response: *ss.newResponse(r.Request), Body: dap.DisassembleResponseBody{Instructions: out}})
}

// alignRange widens [start, end) to whole functions, inside the
// executable's text, so disassembly starts on an instruction boundary.
func alignRange(textRange func(uint64) (uint64, uint64, uint64, uint64, bool), start, end uint64) (uint64, uint64) {
	first, last, entry, _, ok := textRange(start)
	switch {
	case ok:
		start = entry
	case start < first:
		start = first
	case start >= last:
		start = last
	}
	_, _, _, fnEnd, ok := textRange(end)
	switch {
	case ok:
		end = fnEnd
	case end < first:
		end = first
	case end >= last:
		end = last
	default:
		const limit = 10 * 1024
		if end-start > limit {
			end = start + limit
		}
	}
	return start, end
}

// onModules lists the executable and the loaded shared libraries.
func (ss *session) onModules(r *dap.ModulesRequest) {
	d, _ := ss.debugger()
	imgs := d.Images()
	start := max(r.Arguments.StartModule, 0)
	mods := []dap.Module{}
	for i := start; i < len(imgs); i++ {
		if r.Arguments.ModuleCount > 0 && len(mods) >= r.Arguments.ModuleCount {
			break
		}
		img := imgs[i]
		m := dap.Module{Id: i, Name: filepath.Base(img.Path), Path: img.Path, SymbolStatus: "Symbols loaded."}
		if img.LoadError != "" {
			m.SymbolStatus = img.LoadError
		}
		if img.Address != 0 {
			m.AddressRange = fmt.Sprintf("%#x", img.Address)
		}
		mods = append(mods, m)
	}
	ss.send(&dap.ModulesResponse{Response: *ss.newResponse(r.Request), Body: dap.ModulesResponseBody{Modules: mods, TotalModules: len(imgs)}})
}

// onLoadedSources lists the source files of the program.
func (ss *session) onLoadedSources(r *dap.LoadedSourcesRequest) {
	_, c := ss.debugger()
	srcs, err := c.ListSources("")
	if err != nil {
		ss.sendError(r.Request, InternalError, "Unable to list sources", err.Error())
		return
	}
	sort.Strings(srcs)
	out := make([]dap.Source, 0, len(srcs))
	for _, s := range srcs {
		p := ss.toClientPath(s)
		out = append(out, dap.Source{Name: filepath.Base(p), Path: p})
	}
	ss.send(&dap.LoadedSourcesResponse{Response: *ss.newResponse(r.Request), Body: dap.LoadedSourcesResponseBody{Sources: out}})
}
