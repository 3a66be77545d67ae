package consensus

import (
	"sync/atomic"
	"testing"
)

// BenchmarkSimulation measures seeded schedules per second on one core:
// each iteration plays one whole schedule (seeds 1, 2, ...; the same mix of
// modes TestSimulation runs) and fails on a violation.
//
//	go test ./consensus -run '^$' -bench 'Simulation$' -benchtime 200x -count 5
func BenchmarkSimulation(b *testing.B) {
	for i := 0; i < b.N; i++ {
		if v := newSim(newSchedule(int64(i%5000) + 1)).run(); len(v) > 0 {
			b.Fatal(v)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "schedules/s")
}

// BenchmarkSimulationParallel is the same over GOMAXPROCS goroutines, as
// TestSimulation runs them.
func BenchmarkSimulationParallel(b *testing.B) {
	var next atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			seed := next.Add(1)%5000 + 1
			if v := newSim(newSchedule(seed)).run(); len(v) > 0 {
				b.Error(v)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "schedules/s")
}
