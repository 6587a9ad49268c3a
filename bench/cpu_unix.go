//go:build unix

package bench

import (
	"syscall"
	"time"
)

// selfCPU is this process's CPU time, to the microsecond (/proc counts in hundredths of a
// second: too coarse for a short scenario).
func selfCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
