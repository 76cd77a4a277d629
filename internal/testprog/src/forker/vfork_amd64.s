#include "textflag.h"

// func vforkStop() uintptr: see vfork.go.
TEXT ·vforkStop(SB),NOSPLIT,$0-8
	MOVQ	$0x4111, DI	// CLONE_VM|CLONE_VFORK|SIGCHLD
	XORQ	SI, SI
	XORQ	DX, DX
	XORQ	R10, R10
	XORQ	R8, R8
	MOVQ	$56, AX	// SYS_clone
	SYSCALL
	CMPQ	AX, $0
	JNE	parent
	MOVQ	$2, DI	// SIG_SETMASK
	LEAQ	·allSignals(SB), SI
	XORQ	DX, DX
	MOVQ	$8, R10
	MOVQ	$14, AX	// SYS_rt_sigprocmask
	SYSCALL
	MOVQ	$39, AX	// SYS_getpid
	SYSCALL
	MOVQ	AX, DI
	MOVQ	$19, SI	// SIGSTOP
	MOVQ	$62, AX	// SYS_kill
	SYSCALL
	XORQ	DI, DI
	MOVQ	$231, AX	// SYS_exit_group
	SYSCALL
parent:
	MOVQ	AX, ret+0(FP)
	RET

// func vforkBlock() uintptr: see vfork.go.
TEXT ·vforkBlock(SB),NOSPLIT,$0-8
	MOVQ	$0x4111, DI	// CLONE_VM|CLONE_VFORK|SIGCHLD
	XORQ	SI, SI
	XORQ	DX, DX
	XORQ	R10, R10
	XORQ	R8, R8
	MOVQ	$56, AX	// SYS_clone
	SYSCALL
	CMPQ	AX, $0
	JNE	parentb
	MOVQ	$2, DI	// SIG_SETMASK
	LEAQ	·allSignals(SB), SI
	XORQ	DX, DX
	MOVQ	$8, R10
	MOVQ	$14, AX	// SYS_rt_sigprocmask
	SYSCALL
sleep:
	XORQ	DI, DI	// no fds
	XORQ	SI, SI
	XORQ	DX, DX	// no timeout
	XORQ	R10, R10	// the mask as it is
	MOVQ	$8, R8
	MOVQ	$271, AX	// SYS_ppoll
	SYSCALL
	JMP	sleep
parentb:
	MOVQ	AX, ret+0(FP)
	RET
