package backend

// spinInstr is an instruction that jumps to itself (jmp .): a program
// let go with its PC on it stays there, using no memory and no system
// call, until a tracer takes it again (exec_linux.go).
var spinInstr = []byte{0xeb, 0xfe}
