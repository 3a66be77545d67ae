package consensus

import (
	"fmt"
	"math/rand"
	"strings"

	"github.com/sovereign-ledger/sovereign/chain"
)

// simTimeouts are short so a schedule covers many heights and rounds.
func simConfig(vs *chain.ValidatorSet, s Signer) Config {
	cfg := testConfig(vs, s)
	cfg.ProposeTicks, cfg.PrevoteTicks, cfg.PrecommitTicks = 10, 6, 6
	cfg.TimeoutDeltaTicks, cfg.MaxTimeoutTicks, cfg.RebroadcastTicks = 4, 40, 8
	return cfg
}

const (
	livenessTicks = 1500 // after healing, every honest node must commit within this
	syncEvery     = 10   // ticks between sync attempts of a lagging node
	newBlocks     = 2    // blocks every honest node must commit after healing
)

// byzMode is how Byzantine validators behave.
type byzMode int

const (
	byzNone       byzMode = iota
	byzEquivocate         // one validator: double proposals and double votes at random
	byzCollude            // f+1 validators split the honest nodes (must break safety)
)

// schedule is one seeded scenario.
type schedule struct {
	seed      int64
	n         int
	byz       byzMode
	nByz      int
	dropP     float64
	dupP      float64
	maxDelay  int
	chaosEnd  uint64 // drops, partitions and crashes happen before this tick
	parts     []partition
	crashes   []crash
	proposeAt int      // ticks a holder takes to build its block
	observer  bool     // add a non-voting node that must follow the same chain
	powers    []uint64 // voting power by key index
}

type partition struct {
	from, to uint64
	side     []int // side[i] is node i's group
}

type crash struct {
	node        int
	at, restart uint64
	holder      bool // pick the current key holder instead of node
	midReady    bool // crash after syncing the safety record, before storing blocks or sending
}

func (sc schedule) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "seed=%d n=%d powers=%v byz=%d/%d observer=%v drop=%.2f dup=%.2f delay<=%d chaosEnd=%d", sc.seed, sc.n, sc.powers, sc.byz, sc.nByz, sc.observer, sc.dropP, sc.dupP, sc.maxDelay, sc.chaosEnd)
	for _, p := range sc.parts {
		fmt.Fprintf(&b, " partition%v@[%d,%d)", p.side, p.from, p.to)
	}
	for _, c := range sc.crashes {
		fmt.Fprintf(&b, " crash(node=%d holder=%v mid=%v)@[%d,%d)", c.node, c.holder, c.midReady, c.at, c.restart)
	}
	return b.String()
}

// newSchedule derives a scenario from seed.
func newSchedule(seed int64, byz byzMode) schedule {
	rng := rand.New(rand.NewSource(seed))
	sc := schedule{seed: seed, n: []int{4, 7}[rng.Intn(2)], byz: byz}
	sc.dropP = []float64{0, 0.05, 0.2, 0.4}[rng.Intn(4)]
	sc.dupP = []float64{0, 0.1, 0.3}[rng.Intn(3)]
	sc.maxDelay = 1 + rng.Intn(8)
	sc.chaosEnd = uint64(60 + rng.Intn(240))
	sc.proposeAt = 2 + rng.Intn(10) // the holder's pace: batching, empty-block interval
	sc.observer = rng.Intn(3) == 0
	sc.powers = make([]uint64, sc.n)
	for i := range sc.powers {
		sc.powers[i] = 1
		if byz != byzCollude && rng.Intn(3) == 0 {
			sc.powers[i] = uint64(1 + rng.Intn(4))
		}
	}
	f := (sc.n - 1) / 3
	switch byz {
	case byzEquivocate:
		if rng.Intn(3) > 0 {
			sc.nByz = 1
		} else {
			sc.byz = byzNone
		}
	case byzCollude:
		sc.nByz = f + 1
	}
	for i, k := 0, rng.Intn(3); i < k; i++ {
		from := uint64(rng.Intn(int(sc.chaosEnd)))
		to := from + uint64(10+rng.Intn(150))
		if to > sc.chaosEnd {
			to = sc.chaosEnd
		}
		groups := 2 + rng.Intn(2)
		side := make([]int, sc.n+1) // the last is the observer's, if any
		for j := range side {
			side[j] = rng.Intn(groups)
		}
		sc.parts = append(sc.parts, partition{from, to, side})
	}
	if byz != byzCollude {
		for i, k := 0, rng.Intn(7); i < k; i++ {
			at := uint64(rng.Intn(int(sc.chaosEnd)))
			restart := at + uint64(1+rng.Intn([]int{5, 30, 120}[rng.Intn(3)]))
			if restart > sc.chaosEnd {
				restart = sc.chaosEnd
			}
			sc.crashes = append(sc.crashes, crash{node: rng.Intn(sc.n), at: at, restart: restart, holder: rng.Intn(2) == 0, midReady: rng.Intn(2) == 0})
		}
	}
	return sc
}
