// Package twotests is the package the DAP "test" mode tests debug: two
// tests, each calling a function of its own, so that a breakpoint in one
// and -test.run show which ran.
package twotests

import "testing"

//go:noinline
func alpha(n int) int {
	a := n + 1 // alpha: body
	return a
}

//go:noinline
func beta(n int) int {
	b := n * 2 // beta: body
	return b
}

func TestAlpha(t *testing.T) {
	if alpha(1) != 2 {
		t.Fatal("alpha")
	}
}

func TestBeta(t *testing.T) {
	if beta(2) != 4 {
		t.Fatal("beta")
	}
}
