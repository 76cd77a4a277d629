// Command panicload panics as soon as a debugger has planted a breakpoint
// in runtime.fatalpanic (Delve plants its unrecovered-panic breakpoint
// there while it builds its target), so the panic runs into that
// breakpoint while the debugger is still setting up: before it has stopped
// the program, when the debugger lets the program run during the load.
package main

import (
	"bytes"
	"debug/elf"
	"flag"
	"fmt"
	"os"
	"strconv"
	"time"
)

func main() {
	out := flag.String("out", "", "counter file")
	flag.Parse()
	if *out == "" {
		os.Exit(2)
	}
	addr, orig, err := text("runtime.fatalpanic")
	if err != nil {
		fmt.Fprintln(os.Stderr, "panicload:", err)
		os.Exit(2)
	}
	mem, err := os.Open("/proc/self/mem")
	if err != nil {
		fmt.Fprintln(os.Stderr, "panicload:", err)
		os.Exit(2)
	}
	if err := os.WriteFile(*out, []byte(strconv.Itoa(1)), 0o644); err != nil {
		os.Exit(2)
	}
	cur := make([]byte, len(orig))
	for {
		if _, err := mem.ReadAt(cur, int64(addr)); err == nil && !bytes.Equal(cur, orig) {
			panic("panicload: a breakpoint is planted")
		}
		time.Sleep(100 * time.Microsecond)
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
