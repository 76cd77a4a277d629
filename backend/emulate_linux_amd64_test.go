package backend

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/go-delve/delve/pkg/proc"
	"github.com/go-delve/delve/pkg/proc/linutil"
	"golang.org/x/arch/x86/x86asm"

	"github.com/dlv-listen/dlv-listen/internal/testprog"
)

// machineState is what an instruction can change: the general registers
// and the memory around the stack pointer and the instruction's memory
// operand.
type machineState struct {
	regs linutil.AMD64PtraceRegs
	mem  map[uint64][]byte
}

// stateWindows are the memory ranges compared around an instruction: the
// stack below and above RSP (a push, the frame's slots), and the memory
// operand.
func stateWindows(regs linutil.AMD64PtraceRegs, inst x86asm.Inst, next uint64) [][2]uint64 {
	w := [][2]uint64{{regs.Rsp - 64, regs.Rsp + 0x400}}
	for _, a := range inst.Args {
		if m, ok := a.(x86asm.Mem); ok {
			e := emulation{regs: regs, next: next}
			if addr, ok := e.address(m); ok {
				w = append(w, [2]uint64{addr - 16, addr + 24})
			}
		}
	}
	return w
}

// snapshot reads th's registers and the windows. Tracer thread.
func snapshot(t *testing.T, p *Process, th *Thread, windows [][2]uint64) machineState {
	regs, err := th.registers()
	if err != nil {
		t.Fatal(err)
	}
	st := machineState{regs: *regs.(*linutil.AMD64Registers).Regs, mem: map[uint64][]byte{}}
	for _, w := range windows {
		buf := make([]byte, w[1]-w[0])
		if _, err := p.readMemory(buf, w[0]); err != nil {
			continue // not mapped: nothing to compare there
		}
		st.mem[w[0]] = buf
	}
	return st
}

// restore puts th and the memory back as snapshot found them. Tracer
// thread.
func restore(t *testing.T, p *Process, th *Thread, st machineState) {
	regs, err := th.registers()
	if err != nil {
		t.Fatal(err)
	}
	r := regs.(*linutil.AMD64Registers)
	*r.Regs = st.regs
	if err := th.writeGPRegs(r); err != nil {
		t.Fatal(err)
	}
	for addr, buf := range st.mem {
		if _, err := p.writeMemoryOnTracer(addr, buf); err != nil {
			t.Fatal(err)
		}
	}
}

// TestStepOverEmulationMatchesCPU runs, at breakpoints on every
// instruction of dapprog's main.work and main.inner up to their return,
// each instruction twice from the same state: once stepped by the CPU,
// once by the emulation (after putting registers and memory back); the
// registers, flags included, and the memory around the stack and the
// memory operand must come out the same. Every form the emulation takes
// must have been met and emulated.
func TestStepOverEmulationMatchesCPU(t *testing.T) {
	job := testprog.Start(t, "dapprog", "-period", "0")
	grp, p := attachInternal(t, job.Pid)
	tgt := grp.Selected
	insts := map[uint64]x86asm.Inst{}
	for _, name := range []string{"main.work", "main.inner"} {
		fns, err := tgt.BinInfo().FindFunction(name)
		if err != nil || len(fns) == 0 {
			t.Fatalf("find %s: %v", name, err)
		}
		code, err := proc.Disassemble(tgt.Memory(), nil, tgt.Breakpoints(), tgt.BinInfo(), fns[0].Entry, fns[0].End)
		if err != nil {
			t.Fatal(err)
		}
		// Up to the first RET: after it is the morestack call, which a
		// running program does not reach.
		for _, in := range code[1:] { // the entry is stepped by the prologue's own check
			dec, err := x86asm.Decode(in.Bytes, 64)
			if err != nil {
				t.Fatalf("decode % x at %#x: %v", in.Bytes, in.Loc.PC, err)
			}
			if dec.Op == x86asm.RET {
				break
			}
			switch dec.Op {
			case x86asm.MOV, x86asm.LEA, x86asm.PUSH, x86asm.ADD, x86asm.SUB, x86asm.CALL, x86asm.MOVUPS, x86asm.TEST:
			default:
				continue // a jump can lead where the loop never goes
			}
			if _, err := tgt.SetBreakpoint(0, in.Loc.PC, proc.UserBreakpoint, nil); err != nil {
				t.Fatalf("breakpoint at %#x: %v", in.Loc.PC, err)
			}
			insts[in.Loc.PC] = dec
		}
	}
	emulated := map[string]int{}
	declined := map[string]int{}
	compared := 0
	for len(insts) > 0 {
		done := make(chan error, 1)
		go func() { done <- grp.Continue() }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("continue: %v", err)
			}
		case <-time.After(testprog.Timeout(5 * time.Second)):
			// What is left lies on paths the loop does not take (a
			// failed map lookup's, a nil check's).
			_ = grp.RequestManualStop()
			<-done
			t.Logf("not hit in 5s: %v", insts)
			if len(insts) > compared/10 {
				t.Fatalf("%d of %d breakpoints were not hit", len(insts), len(insts)+compared)
			}
		}
		if th := tgt.CurrentThread(); th.Breakpoint().Breakpoint == nil {
			break // the halt above
		}
		th := tgt.CurrentThread().(*Thread)
		bp := th.CurrentBreakpoint.Breakpoint
		if bp == nil {
			t.Fatalf("continue stopped thread %d at no breakpoint", th.ID)
		}
		inst, ok := insts[bp.Addr]
		if !ok {
			t.Fatalf("stopped at %#x, not one of ours", bp.Addr)
		}
		form := formOf(inst)
		var cpu, emu machineState
		var didEmulate bool
		var failure error
		p.tr.do(func() {
			windows := stateWindows(snapshot(t, p, th, nil).regs, inst, bp.Addr+uint64(inst.Len))
			before := snapshot(t, p, th, windows)
			emulateStepOvers = false
			err := p.stepInstruction(th)
			emulateStepOvers = true
			if err != nil {
				failure = fmt.Errorf("CPU step of %v at %#x: %w", inst, bp.Addr, err)
				return
			}
			cpu = snapshot(t, p, th, windows)
			restore(t, p, th, before)
			n0 := p.emulatedStepOvers
			if err := p.stepInstruction(th); err != nil {
				failure = fmt.Errorf("emulated step of %v at %#x: %w", inst, bp.Addr, err)
				return
			}
			didEmulate = p.emulatedStepOvers != n0
			emu = snapshot(t, p, th, windows)
			th.CurrentBreakpoint.Clear()
		})
		if failure != nil {
			t.Fatal(failure)
		}
		if didEmulate {
			emulated[form]++
		} else {
			declined[form]++
		}
		if cpu.regs != emu.regs {
			t.Errorf("%v at %#x (emulated %v): registers differ\nCPU  %+v\nemul %+v", inst, bp.Addr, didEmulate, cpu.regs, emu.regs)
		}
		for addr, want := range cpu.mem {
			if got := emu.mem[addr]; !bytes.Equal(got, want) {
				t.Errorf("%v at %#x (emulated %v): memory at %#x differs", inst, bp.Addr, didEmulate, addr)
			}
		}
		compared++
		delete(insts, bp.Addr)
		if err := tgt.ClearBreakpoint(bp.Addr); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d instructions compared; emulated %v; left to the CPU %v", compared, emulated, declined)
	for _, form := range []string{"MOV reg, mem", "MOV mem, reg", "MOV mem, imm", "LEA reg, mem", "PUSH reg", "SUB reg, imm", "ADD reg, imm", "CALL rel"} {
		if emulated[form] == 0 {
			t.Errorf("no %s was emulated", form)
		}
	}
	if err := grp.Detach(false); err != nil {
		t.Fatalf("detach: %v", err)
	}
	job.WaitAdvance(t, testprog.Timeout(10*time.Second)) // let go, it runs on
}

// formOf names an instruction's operation and operand kinds.
func formOf(inst x86asm.Inst) string {
	s := inst.Op.String()
	for i, a := range inst.Args {
		if a == nil {
			break
		}
		kind := "?"
		switch a.(type) {
		case x86asm.Reg:
			kind = "reg"
		case x86asm.Mem:
			kind = "mem"
		case x86asm.Imm:
			kind = "imm"
		case x86asm.Rel:
			kind = "rel"
		}
		if i == 0 {
			s += " " + kind
		} else {
			s += ", " + kind
		}
	}
	return s
}

// TestStepOverEmulatedResumes continues many times from a function's
// breakpoint (on the SUB RSP that makes main.tick's frame): every resume
// is emulated, the program stops there every time, and runs on after the
// detach.
func TestStepOverEmulatedResumes(t *testing.T) {
	job := testprog.Start(t, "counter", "-period", "1ms")
	grp, p := attachInternal(t, job.Pid)
	tgt := grp.Selected
	addrs, err := proc.FindFunctionLocation(tgt, "main.tick", 0)
	if err != nil {
		t.Fatal(err)
	}
	bp, err := tgt.SetBreakpoint(1, addrs[0], proc.UserBreakpoint, nil)
	if err != nil {
		t.Fatal(err)
	}
	hit := func() {
		t.Helper()
		if err := grp.Continue(); err != nil {
			t.Fatalf("continue: %v", err)
		}
		if cur := tgt.CurrentThread().Breakpoint().Breakpoint; cur == nil || cur.Addr != bp.Addr {
			t.Fatalf("continue stopped at %v, want the breakpoint at %#x", cur, bp.Addr)
		}
	}
	hit()
	n0 := p.emulatedStepOvers
	const rounds = 200
	for i := 0; i < rounds; i++ {
		hit()
	}
	if got := p.emulatedStepOvers - n0; got != rounds {
		t.Errorf("%d of %d resumes from the breakpoint at %#x (% x...) were emulated", got, rounds, bp.Addr, bp.OriginalData)
	}
	if err := grp.Detach(false); err != nil {
		t.Fatalf("detach: %v", err)
	}
	job.WaitAdvance(t, testprog.Timeout(10*time.Second))
}

// TestArithmeticFlags checks ADD's and SUB's flags on hand-worked cases.
func TestArithmeticFlags(t *testing.T) {
	const keep = 0x202 // IF and the reserved bit 1 stay
	for _, c := range []struct {
		sub        bool
		a, b       uint64
		res, flags uint64
	}{
		{true, 0x7fff_ffff_e000, 0xa8, 0x7fff_ffff_df58, keep | flagAF}, // 0x58: odd parity; borrow into bit 4
		{true, 0x10, 0x10, 0, keep | flagZF | flagPF},
		{true, 0, 1, ^uint64(0), keep | flagCF | flagSF | flagPF | flagAF},
		{true, 1 << 63, 1, 1<<63 - 1, keep | flagOF | flagPF | flagAF},
		{true, 0x100, ^uint64(0x7f), 0x180, keep | flagCF}, // minus -128; 0x80: odd parity
		{false, 0x7fff_ffff_df58, 0xa8, 0x7fff_ffff_e000, keep | flagPF | flagAF},
		{false, ^uint64(0), 1, 0, keep | flagCF | flagZF | flagPF | flagAF},
		{false, 1<<63 - 1, 1, 1 << 63, keep | flagOF | flagSF | flagPF | flagAF},
	} {
		f := addFlags
		if c.sub {
			f = subFlags
		}
		res, flags := f(c.a, c.b, keep|flagsArit)
		if res != c.res || flags != c.flags {
			t.Errorf("sub %v: %#x, %#x = %#x flags %#x, want %#x flags %#x", c.sub, c.a, c.b, res, flags, c.res, c.flags)
		}
	}
}
