// Package compare runs the job-control matrix and a few timings against
// stock Delve (dlv v1.27.2, the version dlv-listen embeds) and dlv-listen,
// and prints which scenarios each keeps and the figures side by side.
//
// Layer: tests only. Rerun it with
//
//	DLV_LISTEN_COMPARE=1 go test -count=1 -v -run TestCompare ./integration/compare
//
// (TestCompareMatrix: which scenarios each debugger keeps; TestCompareFigures:
// the timings)
//
// (it installs stock dlv with `go install` once, cached under
// os.UserCacheDir(); without DLV_LISTEN_COMPARE it skips, as it takes a few
// minutes: stock dlv breaks most scenarios, and each break is a timeout).
package compare
