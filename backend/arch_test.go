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
