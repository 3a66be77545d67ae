// Package cputime reads the CPU time the process has used, for benchmarks
// that report CPU per operation: on a machine shared with other work that
// figure varies far less than wall time.
package cputime
