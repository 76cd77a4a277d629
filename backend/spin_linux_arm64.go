package backend

// spinInstr is an instruction that branches to itself (b .): a program
// let go with its PC on it stays there, using no memory and no system
// call, until a tracer takes it again (exec_linux.go).
var spinInstr = []byte{0x00, 0x00, 0x00, 0x14}
