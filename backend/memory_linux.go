package backend

import (
	"fmt"
	"os"
	"unsafe"

	"github.com/go-delve/delve/pkg/proc/linutil"
	"golang.org/x/sys/unix"
)

// processMemory is the proc.MemoryReadWriter of a process.
type processMemory struct{ p *Process }

func (m processMemory) ReadMemory(buf []byte, addr uint64) (int, error) {
	return m.p.readMemory(buf, addr)
}

func (m processMemory) WriteMemory(addr uint64, data []byte) (int, error) {
	return m.p.writeMemory(addr, data)
}

// remoteIovec is unix.Iovec with an address in the other process.
type remoteIovec struct {
	base uintptr
	len  uintptr
}

// ReadRanges reads each of bufs at the address of the same index and
// reports which were read whole, as ReadMemory would have read them one
// by one: all in one process_vm_readv (of at most IOV_MAX ranges), which
// stops at the first range it cannot read whole, and each range from that
// one on with ReadMemory. A front end that reads a small piece of each
// thread's state (its goroutine) makes one system call instead of one a
// thread.
func (m processMemory) ReadRanges(bufs [][]byte, addrs []uint64) []bool {
	ok := make([]bool, len(bufs))
	if v, _ := m.p.Valid(); !v {
		return ok
	}
	const iovMax = 1024
	local := make([]unix.Iovec, 0, min(len(bufs), iovMax))
	remote := make([]remoteIovec, 0, cap(local))
	for start := 0; start < len(bufs); start += iovMax {
		end := min(start+iovMax, len(bufs))
		local, remote = local[:0], remote[:0]
		for i := start; i < end; i++ {
			if len(bufs[i]) == 0 {
				ok[i] = true
				continue
			}
			local = append(local, unix.Iovec{Base: &bufs[i][0], Len: uint64(len(bufs[i]))})
			remote = append(remote, remoteIovec{base: uintptr(addrs[i]), len: uintptr(len(bufs[i]))})
		}
		var n uintptr
		if len(local) > 0 {
			r, _, errno := unix.Syscall6(unix.SYS_PROCESS_VM_READV, uintptr(m.p.pid),
				uintptr(unsafe.Pointer(&local[0])), uintptr(len(local)), uintptr(unsafe.Pointer(&remote[0])), uintptr(len(remote)), 0)
			if errno == 0 {
				n = r
			}
		}
		for i := start; i < end; i++ {
			if len(bufs[i]) == 0 {
				continue
			}
			if l := uintptr(len(bufs[i])); n >= l {
				ok[i], n = true, n-l
				continue
			}
			n = 0 // the call stopped here: the rest one by one
			got, err := m.p.readMemory(bufs[i], addrs[i])
			ok[i] = err == nil && got == len(bufs[i])
		}
	}
	return ok
}

// readMemory reads with process_vm_readv, which needs neither the tracer
// thread nor a stopped thread, and falls back to /proc/PID/mem for what it
// refuses (a range crossing into an unreadable mapping it reads partly).
func (p *Process) readMemory(buf []byte, addr uint64) (int, error) {
	if ok, err := p.Valid(); !ok {
		return 0, err
	}
	if len(buf) == 0 {
		return 0, nil
	}
	local := unix.Iovec{Base: &buf[0], Len: uint64(len(buf))}
	remote := remoteIovec{base: uintptr(addr), len: uintptr(len(buf))}
	n, _, errno := unix.Syscall6(unix.SYS_PROCESS_VM_READV, uintptr(p.pid),
		uintptr(unsafe.Pointer(&local)), 1, uintptr(unsafe.Pointer(&remote)), 1, 0)
	if errno == 0 && int(n) == len(buf) {
		return int(n), nil
	}
	if p.mem == nil {
		if errno != 0 {
			return 0, fmt.Errorf("read %d bytes at %#x of process %d: %w", len(buf), addr, p.pid, errno)
		}
		return int(n), fmt.Errorf("read %d bytes at %#x of process %d: short read (%d)", len(buf), addr, p.pid, n)
	}
	nn, err := p.mem.ReadAt(buf, int64(addr))
	if err != nil && nn < len(buf) {
		return nn, fmt.Errorf("read %d bytes at %#x of process %d: %w", len(buf), addr, p.pid, err)
	}
	return nn, nil
}

// writeMemory writes through /proc/PID/mem, which writes read-only text
// too (FOLL_FORCE). It runs on the tracer thread: kernels built with
// CONFIG_PROC_MEM_FORCE_PTRACE allow forced writes only from the tracer.
func (p *Process) writeMemory(addr uint64, data []byte) (n int, err error) {
	if ok, err := p.Valid(); !ok {
		return 0, err
	}
	if len(data) == 0 {
		return 0, nil
	}
	// proc writes memory (variables, call injection) on a stopped target.
	if err := p.needStopped(); err != nil {
		return 0, err
	}
	p.tr.do(func() { n, err = p.writeMemoryOnTracer(addr, data) })
	return n, err
}

func (p *Process) writeMemoryOnTracer(addr uint64, data []byte) (int, error) {
	n, err := p.mem.WriteAt(data, int64(addr))
	if err == nil {
		return n, nil
	}
	// Fall back to PTRACE_POKEDATA through any stopped thread.
	if th := p.anyHeldThread(); th != nil {
		if n, perr := unix.PtracePokeData(th.ID, uintptr(addr), data); perr == nil {
			return n, nil
		}
	}
	return n, fmt.Errorf("write %d bytes at %#x of process %d: %w", len(data), addr, p.pid, err)
}

func (p *Process) anyHeldThread() *Thread {
	for _, th := range p.threadSlice() {
		if th.state == held {
			return th
		}
	}
	return nil
}

func openMem(pid int) (*os.File, error) {
	return os.OpenFile(fmt.Sprintf("/proc/%d/mem", pid), os.O_RDWR, 0)
}

func entryPoint(pid int, ptrSize int) (uint64, error) {
	auxv, err := os.ReadFile(fmt.Sprintf("/proc/%d/auxv", pid))
	if err != nil {
		return 0, fmt.Errorf("read auxiliary vector of process %d: %w", pid, err)
	}
	return linutil.EntryPointFromAuxv(auxv, ptrSize), nil
}
