package consensus

import (
	"fmt"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The deterministic simulation: whole clusters of machines in one process
// over an in-memory network whose every choice (drop, delay, duplication,
// partitions, crashes, Byzantine behaviour) comes from one seed. After
// every event the checker asserts:
//
//   - agreement: no two honest nodes commit different blocks at a height;
//   - no honest validator signs two different messages for one step;
//   - every committed block has a valid certificate for it and was made by
//     the rightful key holder of its round;
//   - every piece of evidence is genuine and accuses a Byzantine validator;
//   - liveness: after the network heals, every honest node commits new
//     blocks within livenessTicks.
//
// simschedule_test.go derives a scenario from a seed, simnet_test.go runs
// the cluster and its network (and the nodes' crash, restart and sync),
// simcheck_test.go is the checker, simbyz_test.go the Byzantine behaviour.
// Replay one seed with SOV_SIM_SEED=n (add SOV_SIM_TRACE=1 for a trace).

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

// TestSimulation runs seeded schedules (SOV_SIM_SCHEDULES, default 800;
// SOV_SIM_SEED replays one). Each failure prints the command replaying it.
func TestSimulation(t *testing.T) {
	if seed := os.Getenv("SOV_SIM_SEED"); seed != "" {
		v, err := strconv.ParseInt(seed, 10, 64)
		if err != nil {
			t.Fatalf("SOV_SIM_SEED: %v", err)
		}
		sc := newSchedule(v)
		s := newSim(sc)
		if os.Getenv("SOV_SIM_TRACE") != "" {
			s.trace = t.Logf
		}
		viol := s.run()
		t.Logf("%s\n%+v", sc, s.stats)
		for _, v := range viol {
			t.Error(v)
		}
		return
	}
	count := envInt("SOV_SIM_SCHEDULES", 800)
	if testing.Short() {
		count = 150
	}
	base := int64(envInt("SOV_SIM_BASE", 1))
	start := time.Now()
	var (
		next     atomic.Int64
		mu       sync.Mutex
		failures []string
		total    simStats
		maxHeal  uint64
	)
	var wg sync.WaitGroup
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(count) {
					return
				}
				sc := newSchedule(base + i)
				s := newSim(sc)
				viol := s.run()
				mu.Lock()
				total.ticks += s.stats.ticks
				total.heights += s.stats.heights
				total.messages += s.stats.messages
				if s.stats.maxRound > total.maxRound {
					total.maxRound = s.stats.maxRound
				}
				if s.stats.healTicks > maxHeal {
					maxHeal = s.stats.healTicks
				}
				if len(viol) > 0 {
					failures = append(failures, fmt.Sprintf("schedule %s:\n    %s\n  replay: SOV_SIM_SEED=%d go test ./consensus -run 'TestSimulation$' -v",
						sc, strings.Join(viol, "\n    "), sc.seed))
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	sort.Strings(failures)
	t.Logf("%d schedules in %v: %d ticks, %d heights decided, %d messages, highest round %d, slowest recovery %d ticks after healing",
		count, time.Since(start).Round(time.Millisecond), total.ticks, total.heights, total.messages, total.maxRound, maxHeal)
	for i, f := range failures {
		if i == 10 {
			t.Errorf("... and %d more failing schedules", len(failures)-10)
			break
		}
		t.Error(f)
	}
}

// TestSimulationCatchesCollusion checks the checker: with f+1 Byzantine
// validators colluding (double proposals to two halves of the honest nodes,
// each colluder voting for both blocks), safety is beyond what BFT
// guarantees, and the simulation must find two honest nodes that commit
// different blocks, in every Byzantine mode (the colluders behave as the
// mode says until one of them holds the key).
func TestSimulationCatchesCollusion(t *testing.T) {
	const runs = 20
	for _, mode := range []byzMode{byzNone, byzEquivocate, byzStrong, byzThird} {
		found := 0
		for seed := int64(1); seed <= runs; seed++ {
			s := newSim(newCollusion(seed, mode))
			for _, v := range s.run() {
				if strings.Contains(v, "AGREEMENT") {
					found++
					break
				}
			}
		}
		if found < runs/2 {
			t.Errorf("mode %s: f+1 colluding validators broke agreement in only %d of %d schedules: the checker is (nearly) blind", mode, found, runs)
		}
		t.Logf("mode %s: agreement violation found in %d of %d collusion schedules", mode, found, runs)
	}
}

// TestSimulationDeterministic: a seed replays exactly, which is what makes
// a printed failing seed useful.
func TestSimulationDeterministic(t *testing.T) {
	for _, seed := range []int64{3, 7, 11} {
		a, b := newSim(newSchedule(seed)), newSim(newSchedule(seed))
		a.run()
		b.run()
		if a.stats != b.stats || len(a.decided) != len(b.decided) || len(a.signed) != len(b.signed) {
			t.Fatalf("seed %d: runs differ: %+v vs %+v", seed, a.stats, b.stats)
		}
		for h, x := range a.decided {
			if b.decided[h] != x {
				t.Fatalf("seed %d: height %d decided %s and %s", seed, h, x, b.decided[h])
			}
		}
	}
}
