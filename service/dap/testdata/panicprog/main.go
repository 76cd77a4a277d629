// Command panicprog panics on purpose: the debuggee of the DAP tests of
// mode "debug" (it is built by the server) and of exception breakpoints.
package main

import "fmt"

//go:noinline
func explode(n int) int {
	if n > 2 {
		panic(fmt.Sprintf("boom %d", n)) // panicprog: panic
	}
	return n
}

func main() {
	total := 0
	for i := 0; i < 5; i++ {
		total += explode(i)
	}
	fmt.Println(total)
}
