//go:build unix

package ledger

import (
	"syscall"
	"time"
)

// processCPU is the CPU time this process has used (user and system, all
// threads): a cost other processes on a shared machine do not inflate the
// way they inflate wall time.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
