// Command planted acts as soon as a debugger has planted a breakpoint in
// runtime.fatalpanic (Delve plants its unrecovered-panic breakpoint there
// while it builds its target): while the debugger is still setting up,
// before it has stopped the program, when the debugger lets the program
// run during the load. With -do panic it panics (and runs into that
// breakpoint); with -do stop it stops itself with SIGSTOP, then counts
// (-out) every millisecond.
package main

import (
	"bytes"
	"debug/elf"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

func main() {
	out := flag.String("out", "", "counter file")
	do := flag.String("do", "panic", "what to do once the breakpoint is planted: panic or stop")
	flag.Parse()
	if *out == "" {
		os.Exit(2)
	}
	addr, orig, err := text("runtime.fatalpanic")
	if err != nil {
		fmt.Fprintln(os.Stderr, "planted:", err)
		os.Exit(2)
	}
	mem, err := os.Open("/proc/self/mem")
	if err != nil {
		fmt.Fprintln(os.Stderr, "planted:", err)
		os.Exit(2)
	}
	writeCounter(*out, 1)
	cur := make([]byte, len(orig))
	for {
		if _, err := mem.ReadAt(cur, int64(addr)); err == nil && !bytes.Equal(cur, orig) {
			break
		}
		time.Sleep(100 * time.Microsecond)
	}
	if *do == "panic" {
		panic("planted: a breakpoint is planted")
	}
	_ = syscall.Kill(os.Getpid(), syscall.SIGSTOP)
	for n := 2; ; n++ {
		writeCounter(*out, n)
		time.Sleep(time.Millisecond)
	}
}

func writeCounter(path string, n int) {
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	if err := os.WriteFile(tmp, []byte(strconv.Itoa(n)), 0o644); err == nil {
		_ = os.Rename(tmp, path)
	}
}

// text returns the address of function fn and its code as in the file.
func text(fn string) (uint64, []byte, error) {
	f, err := elf.Open("/proc/self/exe")
	if err != nil {
		return 0, nil, err
	}
	defer f.Close()
	syms, err := f.Symbols()
	if err != nil {
		return 0, nil, err
	}
	sec := f.Section(".text")
	for _, s := range syms {
		if s.Name != fn || sec == nil || s.Value < sec.Addr {
			continue
		}
		size := min(s.Size, 256)
		code := make([]byte, size)
		if _, err := sec.ReadAt(code, int64(s.Value-sec.Addr)); err != nil {
			return 0, nil, err
		}
		return s.Value, code, nil
	}
	return 0, nil, fmt.Errorf("no symbol %s", fn)
}
