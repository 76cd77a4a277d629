package backend_test

import (
	"runtime"

	"github.com/go-delve/delve/pkg/proc"
)

// breakInstr is the breakpoint instruction planted on this architecture:
// int3 on amd64, BRK #0 on arm64.
var breakInstr = proc.NewBinaryInfo(runtime.GOOS, runtime.GOARCH, true).Arch.BreakpointInstruction()

// firstVectorRegister names the first floating point/SIMD register as
// proc lists it.
var firstVectorRegister = map[string]string{"amd64": "XMM0", "arm64": "V0"}[runtime.GOARCH]

// syscallInstr is the instruction that enters the kernel: SYSCALL on
// amd64, SVC #0 on arm64.
var syscallInstr = map[string][]byte{"amd64": {0x0f, 0x05}, "arm64": {0x01, 0x00, 0x00, 0xd4}}[runtime.GOARCH]

// syscallPCRewoundAtStop tells where a tracer finds a thread stopped while
// the kernel interrupted its system call to restart it. On arm64 the
// kernel rewinds pc onto the SVC (and puts the first argument back into
// x0) before the ptrace-stop, "so that a debugger will see the already
// changed PC" (arch/arm64/kernel/signal.c, do_signal); on amd64 it rewinds
// rip only after the stop (arch/x86/kernel/signal.c,
// arch_do_signal_or_restart), so the tracer sees rip past the SYSCALL and
// rax = -ERESTARTSYS or the like.
var syscallPCRewoundAtStop = runtime.GOARCH == "arm64"
