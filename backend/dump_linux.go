package backend

// What proc.(*Target).Dump needs from a live process to write a core
// file: the memory map, and the process and thread notes that make the file
// a Linux core (gdb reads it too, not only Delve).

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/go-delve/delve/pkg/proc"
)

// MemoryMap lists the mappings of the process from /proc/PID/smaps (maps
// where smaps is missing). Mappings the kernel itself leaves out of a core
// are left out: VM_DONTDUMP ("dd"), I/O memory ("io") and raw PFN ranges
// ("pf"), which can hang or fail a read. Anonymous mappings (device 00:xx)
// carry no file name, so the core writer dumps their contents.
func (p *Process) MemoryMap() ([]proc.MemoryMapEntry, error) {
	if ok, err := p.Valid(); !ok {
		return nil, err
	}
	// The dump reads memory after this: it must not change under it.
	if err := p.needStopped(); err != nil {
		return nil, err
	}
	path := fmt.Sprintf("/proc/%d/smaps", p.pid)
	buf, err := os.ReadFile(path)
	if err != nil {
		path = fmt.Sprintf("/proc/%d/maps", p.pid)
		if buf, err = os.ReadFile(path); err != nil {
			return nil, fmt.Errorf("read memory map of process %d: %w", p.pid, err)
		}
	}
	entries, err := parseMappings(buf)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return entries, nil
}

// mapping is one mapping of smaps: its header line and its VmFlags.
type mapping struct {
	entry   proc.MemoryMapEntry
	dev     string
	vmFlags []string
}

// parseMappings reads smaps (or maps) text: a header line per mapping
// ("start-end perms offset dev inode path"), in smaps followed by
// "Key: value" lines, VmFlags among them.
func parseMappings(buf []byte) ([]proc.MemoryMapEntry, error) {
	var out []proc.MemoryMapEntry
	var cur *mapping
	flush := func() {
		if cur == nil || skipInDump(cur.vmFlags) {
			return
		}
		if strings.HasPrefix(cur.dev, "00:") {
			cur.entry.Filename, cur.entry.Offset = "", 0
		}
		out = append(out, cur.entry)
	}
	sc := bufio.NewScanner(bytes.NewReader(buf))
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" {
			continue
		}
		if isSmapsAttribute(line) {
			if cur != nil {
				if v, ok := strings.CutPrefix(line, "VmFlags:"); ok {
					cur.vmFlags = strings.Fields(v)
				}
			}
			continue
		}
		m, err := parseMappingHeader(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		flush()
		cur = m
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	flush()
	return out, nil
}

// isSmapsAttribute tells a "Key: value" line of smaps from a header line,
// which starts with a hexadecimal address (lower case).
func isSmapsAttribute(line string) bool {
	return line[0] >= 'A' && line[0] <= 'Z'
}

func skipInDump(vmFlags []string) bool {
	for _, f := range vmFlags {
		switch f {
		case "dd", "io", "pf":
			return true
		}
	}
	return false
}

func parseMappingHeader(line string) (*mapping, error) {
	// The path is the rest of the line after the inode, and may hold
	// spaces; the fields before it are separated by single spaces, the
	// path by padding.
	fields := strings.SplitN(line, " ", 6)
	if len(fields) < 5 {
		return nil, fmt.Errorf("malformed mapping %q", line)
	}
	lo, hi, ok := strings.Cut(fields[0], "-")
	if !ok {
		return nil, fmt.Errorf("malformed address range in %q", line)
	}
	start, err1 := strconv.ParseUint(lo, 16, 64)
	end, err2 := strconv.ParseUint(hi, 16, 64)
	off, err3 := strconv.ParseUint(fields[2], 16, 64)
	if err1 != nil || err2 != nil || err3 != nil || end < start || len(fields[1]) < 3 {
		return nil, fmt.Errorf("malformed mapping %q", line)
	}
	perms := fields[1]
	m := &mapping{dev: fields[3], entry: proc.MemoryMapEntry{
		Addr:   start,
		Size:   end - start,
		Read:   perms[0] == 'r',
		Write:  perms[1] == 'w',
		Exec:   perms[2] == 'x',
		Offset: off,
	}}
	if len(fields) == 6 {
		m.entry.Filename = strings.TrimLeft(fields[5], " ")
	}
	return m, nil
}

// prpsinfo is the kernel's struct elf_prpsinfo on 64-bit Linux (the
// NT_PRPSINFO note): gdb and file(1) read the command name and line here.
type prpsinfo struct {
	State, Sname, Zomb, Nice uint8
	_                        [4]uint8
	Flag                     uint64
	UID, GID                 uint32
	Pid, Ppid, Pgrp, Sid     int32
	Fname                    [16]byte
	Args                     [80]byte
}

// processInfo builds the NT_PRPSINFO contents of the process: pid,
// parent, group, session, state letter, command name and command line
// (the executable's absolute path first, as native does).
func (p *Process) processInfo() *prpsinfo {
	info := new(prpsinfo)
	info.Pid = int32(p.pid)
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.pid)); err == nil {
		// "pid (comm) S ppid pgrp session ...": comm may hold spaces.
		if i := bytes.LastIndexByte(b, ')'); i >= 0 {
			f := strings.Fields(string(b[i+1:]))
			if len(f) >= 4 {
				info.Sname = f[0][0]
				ppid, _ := strconv.Atoi(f[1])
				pgrp, _ := strconv.Atoi(f[2])
				sid, _ := strconv.Atoi(f[3])
				info.Ppid, info.Pgrp, info.Sid = int32(ppid), int32(pgrp), int32(sid)
			}
		}
	}
	status := readStatus(fmt.Sprintf("/proc/%d/status", p.pid))
	if uids := strings.Fields(status["Uid"]); len(uids) > 0 {
		if v, err := strconv.ParseUint(uids[0], 10, 32); err == nil {
			info.UID = uint32(v)
		}
	}
	if gids := strings.Fields(status["Gid"]); len(gids) > 0 {
		if v, err := strconv.ParseUint(gids[0], 10, 32); err == nil {
			info.GID = uint32(v)
		}
	}
	copy(info.Fname[:len(info.Fname)-1], commOf(p.pid))
	args := []byte(p.bi.Images[0].Path)
	if abs, err := filepath.Abs(string(args)); err == nil {
		args = []byte(abs)
	}
	if cmd, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", p.pid)); err == nil {
		if _, rest, ok := bytes.Cut(bytes.TrimRight(cmd, "\x00"), []byte{0}); ok {
			args = append(append(args, ' '), bytes.ReplaceAll(rest, []byte{0}, []byte{' '})...)
		}
	}
	copy(info.Args[:len(info.Args)-1], args)
	return info
}

// threadsForDump lists the threads in the order of a core's notes: the
// current thread of proc first (readers start there), then by id.
func (p *Process) threadsForDump() []*Thread {
	ths := p.threadSlice()
	cur := 0
	if p.grp != nil && p.grp.Selected != nil {
		if th := p.grp.Selected.CurrentThread(); th != nil {
			cur = th.ThreadID()
		}
	}
	sort.Slice(ths, func(i, j int) bool {
		if (ths[i].ID == cur) != (ths[j].ID == cur) {
			return ths[i].ID == cur
		}
		return ths[i].ID < ths[j].ID
	})
	return ths
}

// noteBytes is the little-endian encoding of a fixed-size note structure.
func noteBytes(v any) []byte {
	var buf bytes.Buffer
	_ = binary.Write(&buf, binary.LittleEndian, v)
	return buf.Bytes()
}
