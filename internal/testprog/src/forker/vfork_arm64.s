#include "textflag.h"

// func vforkStop() uintptr: see vfork.go.
TEXT ·vforkStop(SB),NOSPLIT,$0-8
	MOVD	$0x4111, R0	// CLONE_VM|CLONE_VFORK|SIGCHLD
	MOVD	$0, R1
	MOVD	$0, R2
	MOVD	$0, R3
	MOVD	$0, R4
	MOVD	$220, R8	// SYS_clone
	SVC
	CMP	$0, R0
	BNE	parent
	MOVD	$2, R0	// SIG_SETMASK
	MOVD	$·allSignals(SB), R1
	MOVD	$0, R2
	MOVD	$8, R3
	MOVD	$135, R8	// SYS_rt_sigprocmask
	SVC
	MOVD	$172, R8	// SYS_getpid
	SVC
	MOVD	$19, R1	// SIGSTOP
	MOVD	$129, R8	// SYS_kill
	SVC
	MOVD	$0, R0
	MOVD	$94, R8	// SYS_exit_group
	SVC
parent:
	MOVD	R0, ret+0(FP)
	RET

// func vforkBlock() uintptr: see vfork.go.
TEXT ·vforkBlock(SB),NOSPLIT,$0-8
	MOVD	$0x4111, R0	// CLONE_VM|CLONE_VFORK|SIGCHLD
	MOVD	$0, R1
	MOVD	$0, R2
	MOVD	$0, R3
	MOVD	$0, R4
	MOVD	$220, R8	// SYS_clone
	SVC
	CMP	$0, R0
	BNE	parentb
	MOVD	$2, R0	// SIG_SETMASK
	MOVD	$·allSignals(SB), R1
	MOVD	$0, R2
	MOVD	$8, R3
	MOVD	$135, R8	// SYS_rt_sigprocmask
	SVC
sleep:
	MOVD	$0, R0	// no fds
	MOVD	$0, R1
	MOVD	$0, R2	// no timeout
	MOVD	$0, R3	// the mask as it is
	MOVD	$8, R4
	MOVD	$73, R8	// SYS_ppoll
	SVC
	B	sleep
parentb:
	MOVD	R0, ret+0(FP)
	RET
