package cputime

import (
	"runtime"
	"testing"
)

// TestProcessAdvances: burning CPU moves the reading forward.
func TestProcessAdvances(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "plan9" {
		t.Skip("not measured here")
	}
	before := Process()
	x := 0
	for tries := 0; tries < 10_000 && Process() <= before; tries++ {
		for i := 0; i < 1_000_000; i++ {
			x += i
		}
	}
	if Process() <= before {
		t.Fatalf("CPU time did not advance (%d)", x)
	}
}
