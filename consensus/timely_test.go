package consensus

import (
	"fmt"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/sovereign-ledger/sovereign/chain"
)

// clockApp is a node's App with a clock of its own, as node/driver.go's
// blockValidator: ValidateBlock is deterministic (the test's blocks are all
// valid), CheckTimely refuses a block more than drift away from the clock.
type clockApp struct {
	now   uint64 // milliseconds
	drift uint64
}

func (a *clockApp) ValidateBlock(*chain.Block) error { return nil }

func (a *clockApp) CheckTimely(b *chain.Block) error {
	switch t := b.Header.Time; {
	case t > a.now+a.drift:
		return fmt.Errorf("block time %d is more than %d ms ahead of my clock %d", t, a.drift, a.now)
	case t+a.drift < a.now:
		return fmt.Errorf("block time %d is more than %d ms behind my clock %d", t, a.drift, a.now)
	}
	return nil
}

// miniCluster runs three honest machines with their own clocks; the test
// plays the fourth validator, which is Byzantine, by hand. Messages are
// delivered in order, at once.
type miniCluster struct {
	t       *testing.T
	signers []*KeySigner
	vs      *chain.ValidatorSet
	byz     int
	nodes   []*Machine // nil at byz
	apps    []*clockApp
	decided [][]Commit
	queue   []envelope
}

const clockBase = 1_700_000_000_000 // buildBlock's time origin, ms

func newMiniCluster(t *testing.T, byz int, clockOffset []int64) *miniCluster {
	signers, vs := testValidators(4)
	c := &miniCluster{t: t, signers: signers, vs: vs, byz: byz, nodes: make([]*Machine, 4), apps: make([]*clockApp, 4), decided: make([][]Commit, 4)}
	for i, s := range signers {
		if i == byz {
			continue
		}
		c.apps[i] = &clockApp{now: uint64(clockBase + clockOffset[i]), drift: 2000}
		cfg := testConfig(vs, s)
		cfg.App = c.apps[i]
		c.nodes[i] = mustNew(t, cfg, StartState{Height: 1, Seed: genesisSeed})
		c.drain(i)
	}
	return c
}

func (c *miniCluster) index(a common.Address) int {
	for i, s := range c.signers {
		if s.Address() == a {
			return i
		}
	}
	return -1
}

func (c *miniCluster) broadcast(from int, msg Message) {
	for to := range c.nodes {
		if to != from && c.nodes[to] != nil {
			c.queue = append(c.queue, envelope{to: to, msg: msg})
		}
	}
}

func (c *miniCluster) drain(i int) {
	m := c.nodes[i]
	for m.HasReady() {
		rd := m.Ready()
		c.decided[i] = append(c.decided[i], rd.Committed...)
		for _, msg := range rd.Messages {
			c.broadcast(i, msg)
		}
		m.Advance(rd)
		if rd.Propose != nil {
			b := buildBlock(rd.Propose, c.signers[i].Address(), 0)
			b.Header.Time = c.apps[i].now // the proposer stamps its own clock
			if err := m.Propose(b); err != nil {
				c.t.Fatalf("node %d Propose: %v", i, err)
			}
		}
	}
}

func (c *miniCluster) deliver() {
	for len(c.queue) > 0 {
		e := c.queue[0]
		c.queue = c.queue[1:]
		_ = c.nodes[e.to].Step(e.msg)
		c.drain(e.to)
	}
}

func (c *miniCluster) tick() {
	for i, m := range c.nodes {
		if m == nil {
			continue
		}
		c.apps[i].now += 10 // 1 tick = 10 ms
		m.Tick()
		c.drain(i)
	}
	c.deliver()
}

// byzSign signs as the Byzantine validator.
func (c *miniCluster) byzProposal(r uint32, b *chain.Block) Message {
	p := &Proposal{Height: 1, Round: r, POLRound: -1, Block: b}
	p.Sig = c.sign(p.SignHash(testChainID))
	return Message{Proposal: p}
}

func (c *miniCluster) byzVote(t chain.VoteType, r uint32, h common.Hash) Message {
	v := &Vote{Type: t, Height: 1, Round: r, BlockHash: h, Validator: c.signers[c.byz].Address()}
	v.Sig = c.sign(v.SignHash(testChainID))
	return Message{Vote: v}
}

func (c *miniCluster) sign(h common.Hash) []byte {
	sig, err := c.signers[c.byz].Sign(h)
	if err != nil {
		c.t.Fatal(err)
	}
	return sig
}

// TestNoStallFromClockRejection is the regression test for the clock
// stall. The Byzantine key holder of round 0 proposes a block stamped 1.5 s
// ahead: within the 2 s drift of two honest clocks, but more than 2 s ahead
// of the third ("victim", whose clock is 1 s behind). Two honest nodes and
// the Byzantine one prevote it, so the two lock on it; the Byzantine node
// then falls silent. When the two locked nodes re-propose it with its proof
// of lock, the victim must prevote it (line 28: a block with a proof of
// lock is not a fresh proposal, and its timeliness is no longer asked),
// even though it refused it once for its time. Before the fix the core
// cached the clock-dependent refusal with the block's validity, the victim
// refused the block for the rest of the height, and the chain stalled for
// good with two locked honest nodes and one that could never join them.
func TestNoStallFromClockRejection(t *testing.T) {
	_, vs := testValidators(4)
	order := vs.HolderOrder(genesisSeed)
	probe := newMiniCluster(t, 0, make([]int64, 4))
	byz := probe.index(order[0])
	victim := probe.index(order[1])
	offsets := make([]int64, 4)
	offsets[victim] = -1000
	c := newMiniCluster(t, byz, offsets)

	b := buildBlock(&ProposeRequest{Height: 1, Round: 0}, order[0], 0)
	b.Header.Time = clockBase + 1500
	c.broadcast(byz, c.byzProposal(0, b))
	c.broadcast(byz, c.byzVote(chain.VotePrevote, 0, b.Hash()))
	c.deliver()
	// From here on the Byzantine validator is silent.
	for tick := 0; tick < 20000; tick++ {
		done := true
		for i, m := range c.nodes {
			if m != nil && len(c.decided[i]) == 0 {
				done = false
			}
		}
		if done {
			break
		}
		c.tick()
	}
	for i, m := range c.nodes {
		if m == nil {
			continue
		}
		if len(c.decided[i]) == 0 {
			t.Fatalf("node %d decided nothing in 20000 ticks (status %+v): the chain stalls", i, m.Status())
		}
		if i != victim && c.decided[i][0].Block.Hash() != b.Hash() {
			t.Fatalf("node %d decided %s, it was locked on %s", i, c.decided[i][0].Block.Hash().TerminalString(), b.Hash().TerminalString())
		}
	}
}

// TestTimelyOnlyForFreshProposals: timeliness is asked of a proposal
// without a proof of lock and never cached; valid(v) is cached and does not
// depend on the clock, so a block refused for its time as a fresh proposal
// can still be locked (line 36) and re-proposed with its proof of lock.
func TestTimelyOnlyForFreshProposals(t *testing.T) {
	h := newHarness(t)
	app := &countingClock{clockApp: clockApp{now: clockBase, drift: 2000}}
	cfg := testConfig(h.vs, h.signers[h.me])
	cfg.App = app
	h.m = mustNew(t, cfg, StartState{Height: 1, Seed: genesisSeed})
	h.drain()
	early := h.block(0, 0)
	early.Header.Time = clockBase + 5000 // too far ahead of me's clock
	h.step(h.proposal(0, early, -1))
	h.wantVote(chain.VotePrevote, 0, common.Hash{}) // line 26: not timely
	// The clock moves on; the next holder proposes the same block afresh:
	// the earlier refusal is not cached.
	app.now += 4000
	h.toRound(1)
	h.step(h.proposal(1, early, -1))
	h.wantVote(chain.VotePrevote, 1, early.Hash())
	if app.timely != 2 {
		t.Fatalf("CheckTimely asked %d times for two fresh proposals, want 2", app.timely)
	}
	// 2f+1 prevotes lock it (line 36) even if the clock has gone too far
	// past it meanwhile: valid(v) does not depend on the clock.
	app.now += 60000
	h.votes(chain.VotePrevote, 1, early.Hash(), h.others()[:2]...)
	h.wantVote(chain.VotePrecommit, 1, early.Hash())
	// A re-proposal with its proof of lock is not asked about time.
	h.toRound(2)
	h.step(h.proposal(2, early, 1))
	h.wantVote(chain.VotePrevote, 2, early.Hash())
	if app.timely != 2 {
		t.Fatalf("CheckTimely asked %d times, want 2: a proposal with a proof of lock is not fresh", app.timely)
	}
	if app.validate != 1 {
		t.Fatalf("ValidateBlock asked %d times for one block, want 1 (cached)", app.validate)
	}
}

type countingClock struct {
	clockApp
	timely, validate int
}

func (a *countingClock) ValidateBlock(b *chain.Block) error {
	a.validate++
	return a.clockApp.ValidateBlock(b)
}

func (a *countingClock) CheckTimely(b *chain.Block) error {
	a.timely++
	return a.clockApp.CheckTimely(b)
}
