// Package main does not compile, on purpose: the DAP tests launch it in
// mode "debug" to see the build error reported.
package main

func main() {
	undefinedOnPurpose()
}
