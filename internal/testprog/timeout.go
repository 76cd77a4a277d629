package testprog

import (
	"os"
	"strconv"
	"time"
)

// TimeoutScaleEnv names an environment variable holding a factor (an
// integer, at least 1) by which every deadline of the tests is stretched:
// an emulated machine runs programs ten or more times slower than the
// host (scripts/arm64-vm-test.sh sets it for its virtual machine).
const TimeoutScaleEnv = "DLV_LISTEN_TEST_TIMEOUT_SCALE"

var timeoutScale = func() time.Duration {
	n, err := strconv.Atoi(os.Getenv(TimeoutScaleEnv))
	if err != nil || n < 1 {
		return 1
	}
	return time.Duration(n)
}()

// Timeout returns d stretched by the factor in TimeoutScaleEnv. The Job
// methods that wait apply it to the timeouts they are given; tests apply it
// to deadlines of their own.
func Timeout(d time.Duration) time.Duration { return d * timeoutScale }
