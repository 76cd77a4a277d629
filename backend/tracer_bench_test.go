package backend

import "testing"

// BenchmarkTracerHandOff times one request handed to the tracer thread and
// answered (tracer.do of an empty function): what every ptrace request
// proc makes through the backend pays on top of the system call, about 55
// times per `next` (a breakpoint written or erased per line).
func BenchmarkTracerHandOff(b *testing.B) {
	tr := newTracer(nil)
	defer tr.close()
	for i := 0; i < b.N; i++ {
		tr.do(func() {})
	}
}
