// Package cputime reads the CPU time this process has used, for benchmarks
// on a shared machine: other work slows the wall clock of a run, but
// barely changes the CPU it spends, so CPU per operation is the steadier
// figure (docs/PERFORMANCE.md).
package cputime

import (
	"syscall"
	"time"
)

// Used is the process's user and system CPU time, all threads; zero if the
// system cannot say.
func Used() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
