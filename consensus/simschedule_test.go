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
	byzEquivocate         // one validator: double proposals and double votes at random (the second invalid or nil)
	byzStrong             // up to f (by power): two real blocks proposed and voted for at once, replayed old messages, selective silence, forged blocks and certificates served to syncing nodes
	byzThird              // byzStrong at exactly a third of the power (n = 3 or 6): safety must hold since a quorum is more than 2/3; liveness is not required
)

var byzModeNames = map[byzMode]string{byzNone: "none", byzEquivocate: "equivocate", byzStrong: "strong", byzThird: "third"}

func (b byzMode) String() string { return byzModeNames[b] }

// schedule is one seeded scenario.
type schedule struct {
	seed      int64
	n         int
	byz       byzMode
	collude   bool // f+1 Byzantine validators split the honest nodes (must break safety)
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
	// sets: the set changes mid-run (simsets_test.go); powers then has one
	// more key than n, the validator that joins.
	sets *setPlan
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
	locked      bool // crash at the first Ready from `at` on that records a lock (restart of a locked node)
	wipe        bool // the node comes back with its whole data dir lost: no chain, no safety record
	restore     bool // the node comes back with its chain database restored from an older backup, its signer state kept
}

func (sc schedule) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "seed=%d n=%d powers=%v byz=%s/%d collude=%v observer=%v drop=%.2f dup=%.2f delay<=%d chaosEnd=%d", sc.seed, sc.n, sc.powers, sc.byz, sc.nByz, sc.collude, sc.observer, sc.dropP, sc.dupP, sc.maxDelay, sc.chaosEnd)
	for _, p := range sc.parts {
		fmt.Fprintf(&b, " partition%v@[%d,%d)", p.side, p.from, p.to)
	}
	for _, c := range sc.crashes {
		fmt.Fprintf(&b, " crash(node=%d holder=%v mid=%v locked=%v wipe=%v restore=%v)@[%d,%d)", c.node, c.holder, c.midReady, c.locked, c.wipe, c.restore, c.at, c.restart)
	}
	return b.String()
}

// newSchedule derives a scenario from seed; the Byzantine mode is drawn
// from the seed too.
func newSchedule(seed int64) schedule {
	rng := rand.New(rand.NewSource(seed))
	mode := []byzMode{byzNone, byzEquivocate, byzEquivocate, byzStrong, byzStrong, byzStrong, byzThird}[rng.Intn(7)]
	return scheduleFor(seed, rng, mode, false)
}

// newCollusion is an f+1 collusion schedule whose colluders otherwise
// behave as mode says.
func newCollusion(seed int64, mode byzMode) schedule {
	return scheduleFor(seed, rand.New(rand.NewSource(seed)), mode, true)
}

func scheduleFor(seed int64, rng *rand.Rand, byz byzMode, collude bool) schedule {
	sc := schedule{seed: seed, n: []int{4, 7}[rng.Intn(2)], byz: byz, collude: collude}
	if byz == byzThird && !collude {
		sc.n = []int{3, 6}[rng.Intn(2)]
	}
	sc.dropP = []float64{0, 0.05, 0.2, 0.4}[rng.Intn(4)]
	sc.dupP = []float64{0, 0.1, 0.3}[rng.Intn(3)]
	sc.maxDelay = 1 + rng.Intn(8)
	sc.chaosEnd = uint64(60 + rng.Intn(240))
	sc.proposeAt = 2 + rng.Intn(10) // the holder's pace: batching, empty-block interval
	sc.observer = rng.Intn(3) == 0
	sc.powers = make([]uint64, sc.n)
	for i := range sc.powers {
		sc.powers[i] = 1
		if !collude && byz != byzThird && rng.Intn(3) == 0 {
			sc.powers[i] = uint64(1 + rng.Intn(4))
		}
	}
	f := (sc.n - 1) / 3
	switch {
	case collude:
		sc.nByz = f + 1
	case byz == byzEquivocate:
		sc.nByz = 1
	case byz == byzStrong:
		sc.nByz = f // at most; newSim keeps their power below a third
	case byz == byzThird:
		sc.nByz = sc.n / 3
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
	if !collude {
		wiped := false
		for i, k := 0, rng.Intn(7); i < k; i++ {
			at := uint64(rng.Intn(int(sc.chaosEnd)))
			restart := at + uint64(1+rng.Intn([]int{5, 30, 120}[rng.Intn(3)]))
			if restart > sc.chaosEnd {
				restart = sc.chaosEnd
			}
			c := crash{node: rng.Intn(sc.n), at: at, restart: restart, holder: rng.Intn(2) == 0, midReady: rng.Intn(2) == 0}
			switch rng.Intn(7) {
			case 0, 1:
				c.locked = true
			case 3:
				c.restore = true
			case 2:
				// A wiped validator watches before it signs: it is a fault
				// until then, so at most one per schedule, and only where
				// it and the Byzantine power stay below a third (newSim
				// checks the power when it happens).
				c.wipe = !wiped && byz != byzThird
				wiped = wiped || c.wipe
			}
			sc.crashes = append(sc.crashes, c)
		}
	}
	return sc
}
