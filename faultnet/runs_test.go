package faultnet

import (
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// How long each fault lasts. Every one is longer than the largest round
// timeout the core reaches in it, so that rounds move on during the fault.
const (
	partitionFor     = 5 * time.Second
	longPartitionFor = 20 * time.Second
	pauseFor         = 6 * time.Second // > DefaultMaxTimeoutTicks (3 s)
	flapFor          = 8 * time.Second
	skewFor          = 8 * time.Second
	restartBound     = 15 * time.Second // a restarted node: process start, open, sync
)

func runSpecs() []runSpec {
	return []runSpec{
		{name: "minority-partition", short: true, fault: minorityPartition},
		{name: "majority-partition", short: true, fault: majorityPartition},
		{name: "kill-restart", short: true, fault: killRestart},
		{name: "pool-loss", short: true, fault: poolLoss},
		{name: "long-partition", fault: longPartition},
		{name: "holder-isolated", fault: holderIsolated},
		{name: "flapping-links", fault: flappingLinks},
		{name: "zombie-holder", fault: zombieHolder},
		{name: "kill-all", fault: killAll},
		{name: "pause-two", fault: pauseTwo},
		{name: "clock-ahead", extra: map[int][]string{3: {"--clock.offset=3s"}}, fault: clockSkew},
		{name: "clock-behind", extra: map[int][]string{3: {"--clock.offset=-3s"}}, fault: clockSkew},
		{name: "full-disk", setup: smallDisk, fault: fullDisk},
	}
}

// settle lets votes already in flight at a cut arrive before a run
// asserts that a side without quorum stands still.
const settle = time.Second

// minorityPartition cuts node 3 off: the other three (more than 2/3) go
// on; node 3 finalizes nothing; after the heal it catches up.
func minorityPartition(r *run) {
	r.must(r.net.Partition([]int{0, 1, 2}, []int{3}))
	time.Sleep(settle)
	r.during(partitionFor, []int{3}, []int{0, 1, 2})
	r.heal("heal_to_final")
}

// majorityPartition splits 2 | 2: neither side has a quorum, nobody
// finalizes; after the heal the chain finalizes again.
func majorityPartition(r *run) {
	r.must(r.net.Partition([]int{0, 1}, []int{2, 3}))
	time.Sleep(settle)
	r.during(partitionFor, r.c.All(), nil)
	r.heal("heal_to_final")
}

// longPartition splits 2 | 2 for 20 s: long enough for TCP's
// retransmission backoff on the silent connections to grow to seconds.
func longPartition(r *run) {
	r.must(r.net.Partition([]int{0, 1}, []int{2, 3}))
	time.Sleep(settle)
	r.during(longPartitionFor, r.c.All(), nil)
	r.heal("heal_to_final")
}

// holderIsolated cuts the current key holder off: the others move to the
// next round's holder within a timeout.
func holderIsolated(r *run) {
	h, _ := r.strikeHolder("isolated_holder_gap", func(h int) { r.must(r.net.Isolate(h)) })
	live := r.others(h)
	r.during(partitionFor, []int{h}, live)
	r.heal("heal_to_final")
}

// flappingLinks cuts and mends random links every 300 ms.
func flappingLinks(r *run) {
	seed := uint64(time.Now().UnixNano())
	r.t.Logf("flapping seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	cut := map[[2]int]bool{}
	for end := time.Now().Add(flapFor); time.Now().Before(end); time.Sleep(300 * time.Millisecond) {
		i, j := rng.IntN(nodes), rng.IntN(nodes)
		if i == j {
			continue
		}
		i, j = min(i, j), max(i, j)
		k := [2]int{i, j}
		if cut[k] {
			r.must(r.net.Mend(i, j))
		} else {
			r.must(r.net.Cut(i, j))
		}
		cut[k] = !cut[k]
	}
	r.heal("heal_to_final")
}

// zombieHolder SIGSTOPs the key holder for longer than any timeout, then
// SIGCONTs it: it wakes with old rounds and a stale height and must
// neither fork nor stall anyone.
func zombieHolder(r *run) {
	var pausedAt time.Time
	h, _ := r.strikeHolder("paused_holder_gap", func(h int) { pausedAt = time.Now(); r.must(r.c.Pause(h)) })
	live := r.others(h)
	time.Sleep(time.Until(pausedAt.Add(pauseFor)))
	h1, round := r.height(live...)
	resumed := time.Now()
	r.must(r.c.Resume(h))
	r.healed("resume_to_final", resumed, h1, round, r.c.All(), 0)
}

// killRestart kill -9s the key holder under load, twice, and restarts it.
func killRestart(r *run) {
	for k := 0; k < 2; k++ {
		h, _ := r.strikeHolder("killed_holder_gap", func(h int) { r.must(r.c.Kill(h)) })
		live := r.others(h)
		r.during(3*time.Second, nil, live)
		h1, round := r.height(live...)
		restarted := time.Now()
		r.must(r.c.Start(h))
		r.healed("restart_to_final", restarted, h1, round, r.c.All(), restartBound)
	}
}

// killAll kill -9s every validator at once under load and restarts them
// all: each resumes from its store and signer state, none signs twice
// (the checker would see a fork), and the chain goes on.
func killAll(r *run) {
	h1, round := r.height(r.c.All()...)
	for _, i := range r.c.All() {
		r.must(r.c.Kill(i))
	}
	time.Sleep(time.Second)
	restarted := time.Now()
	for _, i := range r.c.All() {
		r.must(r.c.Start(i))
	}
	r.healed("restart_to_final", restarted, h1, round, r.c.All(), restartBound)
}

// pauseTwo SIGSTOPs two of the four validators for 6 s: no quorum is
// left, nobody finalizes; after SIGCONT the chain finalizes within three
// timeouts.
func pauseTwo(r *run) {
	r.must(r.c.Pause(2))
	r.must(r.c.Pause(3))
	time.Sleep(settle)
	r.during(pauseFor, []int{0, 1}, nil)
	h1, round := r.height(0, 1)
	resumed := time.Now()
	r.must(r.c.Resume(2))
	r.must(r.c.Resume(3))
	r.healed("resume_to_final", resumed, h1, round, r.c.All(), 0)
}

// poolLoss strands transactions in one node's pool and kills it: node 3
// is cut off, so what it acknowledges reaches no other node, then kill -9
// takes its pool (memory) with it. The load generator, like a wallet,
// resubmits the same signed bytes of whatever was acknowledged and is not
// final, so the checker still finds every one of them final exactly once.
func poolLoss(r *run) {
	r.must(r.net.Isolate(3))
	time.Sleep(2 * time.Second)
	stranded := r.load.NotFinalAckedBy(3)
	if stranded == 0 {
		r.t.Fatal("node 3 acknowledged nothing while cut off: the run would test nothing")
	}
	r.must(r.c.Kill(3))
	r.t.Logf("node 3 killed holding %d acknowledged transactions that no other node had", stranded)
	r.must(r.net.HealAll())
	h1, round := r.height(r.others(3)...)
	restarted := time.Now()
	r.must(r.c.Start(3))
	r.healed("restart_to_final", restarted, h1, round, r.c.All(), restartBound)
}

// clockSkew runs with node 3's clock off by more than the allowed drift
// (the run's extra flags): the chain stays live and safe.
func clockSkew(r *run) {
	if !r.hasLine(3, "clock offset set") {
		r.t.Error("node 3 does not log its clock offset: the flag did not reach it")
	}
	r.during(skewFor, nil, r.c.All())
}

// smallDisk puts node 3's data dir on a 64 MiB tmpfs.
func smallDisk(r *run) {
	dir := r.c.DataDir(3)
	r.must(os.MkdirAll(dir, 0o700))
	r.must(runTool("mount", "-t", "tmpfs", "-o", "size=64m,mode=0700", "tmpfs", dir))
	r.t.Cleanup(func() {
		_ = r.c.Kill(3)
		if err := runTool("umount", dir); err != nil {
			r.t.Errorf("unmount %s: %v", dir, err)
		}
	})
}

// fullDisk fills node 3's disk under load. The node must stop loudly (a
// storage failure is fatal) while the others go on; with space freed and
// the node restarted it catches up.
func fullDisk(r *run) {
	filler := filepath.Join(r.c.DataDir(3), "filler")
	r.must(fill(filler))
	full := time.Now()
	select {
	case <-r.c.Exited(3):
		r.t.Logf("node 3 stopped %s after its disk filled", time.Since(full).Round(time.Millisecond))
		if !r.hasLine(3, "no space left on device") {
			raw, _ := os.ReadFile(r.c.LogPath(3))
			r.t.Errorf("node 3 stopped without naming the full disk:\n%s", tail(string(raw), 1500))
		}
	case <-time.After(20 * time.Second):
		fh, err := r.c.FinalHeight(3)
		r.t.Errorf("node 3 still runs 20 s after its disk filled (final height %d, %v): a storage failure must stop it", fh, err)
	}
	live := r.others(3)
	r.during(3*time.Second, nil, live)
	// Restarted on the still full disk it must stop again, not limp on.
	if r.c.State(3) == Down {
		r.must(r.c.Start(3))
		select {
		case <-r.c.Exited(3):
			r.t.Logf("node 3 restarted on the full disk stopped again")
		case <-time.After(20 * time.Second):
			fh, err := r.c.FinalHeight(3)
			r.t.Errorf("node 3 restarted on a full disk still runs after 20 s (final height %d, %v)", fh, err)
			r.must(r.c.Kill(3))
		}
	}
	r.must(os.Remove(filler))
	h1, round := r.height(live...)
	if r.c.State(3) == Down {
		restarted := time.Now()
		r.must(r.c.Start(3))
		r.healed("restart_to_final", restarted, h1, round, r.c.All(), restartBound)
	}
}

// fill writes zeros to path until the file system is full.
func fill(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	for {
		if _, err := f.Write(buf); err != nil {
			if errors.Is(err, syscall.ENOSPC) {
				return nil
			}
			return err
		}
	}
}

// during checks, over d, that the nodes in stall finalize nothing and the
// nodes in advance finalize at least two blocks.
func (r *run) during(d time.Duration, stall, advance []int) {
	r.t.Helper()
	s0, _ := r.height(stall...)
	a0, _ := r.height(advance...)
	time.Sleep(d)
	for _, i := range r.c.All() {
		if ci, err := r.c.Info(i); err == nil {
			r.t.Logf("node %d: final height %d, round %d, %d peers", i, ci.FinalHeight, ci.Round, ci.PeerCount)
		}
	}
	if len(stall) > 0 {
		if s1, _ := r.height(stall...); s1 > s0 {
			r.t.Errorf("nodes %v finalized %d → %d without a quorum", stall, s0, s1)
		}
	}
	if len(advance) > 0 {
		if a1, _ := r.height(advance...); a1 < a0+2 {
			r.t.Errorf("nodes %v finalized only %d → %d in %s", advance, a0, a1, d)
		}
	}
}
