package backend

import (
	"bytes"
	"encoding/binary"
	"testing"
	"time"

	"github.com/go-delve/delve/pkg/proc"
	"github.com/go-delve/delve/pkg/proc/linutil"

	"github.com/dlv-listen/dlv-listen/internal/testprog"
)

// stepResult is what one instruction step did to a thread.
type stepResult struct {
	before, after linutil.AMD64PtraceRegs
	stored        uint64 // the word at the new stack top
	emulated      bool
}

// stepOnce steps the current thread, held on its breakpoint at addr, over
// one instruction with proc's StepInstruction, the CPU's step or the
// emulation as emulate says.
func stepOnce(t *testing.T, grp *proc.TargetGroup, p *Process, addr uint64, emulate bool) stepResult {
	t.Helper()
	regsOf := func() linutil.AMD64PtraceRegs {
		regs, err := grp.Selected.CurrentThread().Registers()
		if err != nil {
			t.Fatal(err)
		}
		return *regs.(*linutil.AMD64Registers).Regs
	}
	var res stepResult
	res.before = regsOf()
	if res.before.Rip != addr {
		t.Fatalf("thread at %#x, want the breakpoint at %#x", res.before.Rip, addr)
	}
	n0 := p.emulatedStepOvers
	emulateStepOvers = emulate
	err := grp.StepInstruction(false)
	emulateStepOvers = true
	if err != nil {
		t.Fatalf("step instruction: %v", err)
	}
	res.emulated = p.emulatedStepOvers != n0
	res.after = regsOf()
	var word [8]byte
	if _, err := grp.Selected.Memory().ReadMemory(word[:], res.after.Rsp); err != nil {
		t.Fatal(err)
	}
	res.stored = binary.LittleEndian.Uint64(word[:])
	return res
}

// instructionAt finds in fn the first instruction whose bytes start with
// prefix, and the one after it.
func instructionAt(t *testing.T, tgt *proc.Target, fn string, prefix []byte) (at, next proc.AsmInstruction) {
	t.Helper()
	f, err := tgt.BinInfo().FindFunction(fn)
	if err != nil || len(f) == 0 {
		t.Fatalf("find %s: %v", fn, err)
	}
	code, err := proc.Disassemble(tgt.Memory(), nil, tgt.Breakpoints(), tgt.BinInfo(), f[0].Entry, f[0].End)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(code); i++ {
		if bytes.HasPrefix(code[i].Bytes, prefix) {
			return code[i], code[i+1]
		}
	}
	t.Fatalf("%s has no instruction starting % x", fn, prefix)
	return
}

// stepOverSession attaches to a counter and stops it on a breakpoint at
// the first instruction of main.tick that starts with prefix.
func stepOverSession(t *testing.T, prefix []byte) (*proc.TargetGroup, *Process, *testprog.Job, proc.AsmInstruction, proc.AsmInstruction) {
	job := testprog.Start(t, "counter", "-period", "1ms")
	grp, p := attachInternal(t, job.Pid)
	at, next := instructionAt(t, grp.Selected, "main.tick", prefix)
	if _, err := grp.Selected.SetBreakpoint(1, at.Loc.PC, proc.UserBreakpoint, nil); err != nil {
		t.Fatal(err)
	}
	return grp, p, job, at, next
}

// hitAt continues until the breakpoint at addr stops the program.
func hitAt(t *testing.T, grp *proc.TargetGroup, addr uint64) {
	t.Helper()
	if err := grp.Continue(); err != nil {
		t.Fatalf("continue: %v", err)
	}
	if cur := grp.Selected.CurrentThread().Breakpoint().Breakpoint; cur == nil || cur.Addr != addr {
		t.Fatalf("continue stopped at %v, want the breakpoint at %#x", cur, addr)
	}
}

// TestStepOverEmulatedSub compares the emulated step over SUB RSP, imm —
// where proc puts the breakpoint of a Go function with a frame — with
// the CPU's own single step of the same instruction at the same
// breakpoint, both hit from the same call (main's loop calls main.tick
// with the same stack pointer each time): the same registers after,
// flags included. Then the program runs right across many emulated
// resumes, and goes on after the detach.
func TestStepOverEmulatedSub(t *testing.T) {
	grp, p, job, at, next := stepOverSession(t, []byte{rexW, grp1Imm32, modrmSubS})
	var cpu, emu *stepResult
	for i, emulate := range []bool{false, true, false, true} {
		hitAt(t, grp, at.Loc.PC)
		res := stepOnce(t, grp, p, at.Loc.PC, emulate)
		if res.emulated != emulate {
			t.Fatalf("step %d: emulated %v, want %v", i, res.emulated, emulate)
		}
		if res.after.Rip != next.Loc.PC {
			t.Errorf("step %d (emulated %v): RIP %#x, want the next instruction %#x", i, emulate, res.after.Rip, next.Loc.PC)
		}
		if emulate {
			emu = &res
		} else {
			cpu = &res
		}
		if cpu != nil && emu != nil {
			if cpu.before.Rsp != emu.before.Rsp {
				t.Fatalf("the two hits came with different stack pointers (%#x, %#x): nothing to compare", cpu.before.Rsp, emu.before.Rsp)
			}
			c, e := cpu.after, emu.after
			if c.Rsp != e.Rsp || c.Rip != e.Rip || c.Eflags&flagsArit != e.Eflags&flagsArit || e.Eflags&^flagsArit != emu.before.Eflags&^flagsArit {
				t.Errorf("after the CPU's step RSP %#x RIP %#x flags %#x (from %#x); after the emulation RSP %#x RIP %#x flags %#x (from %#x)",
					c.Rsp, c.Rip, c.Eflags, cpu.before.Eflags, e.Rsp, e.Rip, e.Eflags, emu.before.Eflags)
			}
			e.Rsp, e.Rip, e.Eflags = emu.before.Rsp, emu.before.Rip, emu.before.Eflags
			if e != emu.before {
				t.Errorf("the emulation changed other registers:\nbefore %+v\nafter  %+v", emu.before, e)
			}
		}
	}

	// The thread stands past the breakpoint now; every later continue
	// resumes from it.
	hitAt(t, grp, at.Loc.PC)
	n0 := p.emulatedStepOvers
	const rounds = 200
	for i := 0; i < rounds; i++ {
		hitAt(t, grp, at.Loc.PC)
	}
	if got := p.emulatedStepOvers - n0; got != rounds {
		t.Errorf("%d of %d resumes from the breakpoint were emulated", got, rounds)
	}
	if err := grp.Detach(false); err != nil {
		t.Fatalf("detach: %v", err)
	}
	job.WaitAdvance(t, testprog.Timeout(10*time.Second))
}

// TestStepOverEmulatedPush does the same for PUSH RBP: the emulation and
// the CPU move RSP by -8 and store RBP there.
func TestStepOverEmulatedPush(t *testing.T) {
	grp, p, job, at, next := stepOverSession(t, []byte{pushRBP})
	for i, emulate := range []bool{false, true, true} {
		hitAt(t, grp, at.Loc.PC)
		res := stepOnce(t, grp, p, at.Loc.PC, emulate)
		if res.emulated != emulate {
			t.Fatalf("step %d: emulated %v, want %v", i, res.emulated, emulate)
		}
		b, a := res.before, res.after
		if a.Rsp != b.Rsp-8 || a.Rip != next.Loc.PC || res.stored != b.Rbp {
			t.Errorf("step %d (emulated %v): RSP %#x -> %#x, RIP -> %#x, stored %#x; want RSP-8, %#x, RBP %#x",
				i, emulate, b.Rsp, a.Rsp, a.Rip, res.stored, next.Loc.PC, b.Rbp)
		}
		a.Rsp, a.Rip = b.Rsp, b.Rip
		if a != b {
			t.Errorf("step %d (emulated %v): other registers changed:\nbefore %+v\nafter  %+v", i, emulate, b, a)
		}
	}
	if err := grp.Detach(false); err != nil {
		t.Fatalf("detach: %v", err)
	}
	job.WaitAdvance(t, testprog.Timeout(10*time.Second))
}

// TestStepOverOtherInstructionIsCPUs checks that a breakpoint on any other
// instruction (the first MOV after the frame is made) is stepped by the
// CPU.
func TestStepOverOtherInstructionIsCPUs(t *testing.T) {
	grp, p, _, at, next := stepOverSession(t, []byte{rexW, 0x89}) // MOV r/m64, r64
	hitAt(t, grp, at.Loc.PC)
	res := stepOnce(t, grp, p, at.Loc.PC, true)
	if res.emulated {
		t.Errorf("the step over % x was emulated", at.Bytes)
	}
	if res.after.Rip != next.Loc.PC {
		t.Errorf("the CPU's step went to %#x, want %#x", res.after.Rip, next.Loc.PC)
	}
}

// TestSubFlags checks the flags of SUB on hand-worked cases.
func TestSubFlags(t *testing.T) {
	const keep = 0x202 // IF and the reserved bit 1 stay
	for _, c := range []struct {
		a, b, res, flags uint64
	}{
		{0x7fff_ffff_e000, 0xa8, 0x7fff_ffff_df58, keep | flagAF},    // 0x58: 3 bits, odd parity; borrow from bit 4
		{0x10, 0x10, 0, keep | flagZF | flagPF},                      // zero
		{0, 1, ^uint64(0), keep | flagCF | flagSF | flagPF | flagAF}, // borrow out
		{1 << 63, 1, 1<<63 - 1, keep | flagOF | flagPF | flagAF},     // signed overflow
		{0x100, ^uint64(0x7f), 0x180, keep | flagCF},                 // minus -128 (imm8 0x80)
	} {
		res, flags := subFlags(c.a, c.b, keep|flagsArit)
		if res != c.res || flags != c.flags {
			t.Errorf("%#x - %#x = %#x flags %#x, want %#x flags %#x", c.a, c.b, res, flags, c.res, c.flags)
		}
	}
}
