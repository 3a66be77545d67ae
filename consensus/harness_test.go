package consensus

import (
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/sovereign-ledger/sovereign/chain"
)

// harness drives one machine ("me") of a 4-validator set by hand: the test
// plays the other three validators. me is the key holder of round 3 at
// height 1, so rounds 0-2 are proposed by others.
type harness struct {
	t       *testing.T
	signers map[common.Address]*KeySigner
	vs      *chain.ValidatorSet
	order   []common.Address // holders of height 1 by round
	me      common.Address
	m       *Machine
	app     rejectSet
	sent    []Message // everything me sent
	ready   []Ready
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	signers, vs := testValidators(4)
	h := &harness{t: t, signers: make(map[common.Address]*KeySigner), vs: vs, app: rejectSet{}}
	for _, s := range signers {
		h.signers[s.Address()] = s
	}
	h.order = vs.HolderOrder(genesisSeed)
	h.me = h.order[3]
	cfg := testConfig(vs, h.signers[h.me])
	cfg.App = h.app
	h.m = mustNew(t, cfg, StartState{Height: 1, Seed: genesisSeed})
	h.drain()
	return h
}

// others are the validators the test plays, excluding skip.
func (h *harness) others(skip ...common.Address) []common.Address {
	var out []common.Address
outer:
	for _, a := range h.order {
		if a == h.me {
			continue
		}
		for _, s := range skip {
			if a == s {
				continue outer
			}
		}
		out = append(out, a)
	}
	return out
}

// block is a block made by the holder of round r.
func (h *harness) block(r uint32, salt uint64) *chain.Block {
	return buildBlock(&ProposeRequest{Height: 1, Round: r}, h.order[r%4], salt)
}

func (h *harness) proposal(r uint32, b *chain.Block, pol int32) Message {
	p := &Proposal{Height: 1, Round: r, POLRound: pol, Block: b}
	sig, err := h.signers[h.order[r%4]].Sign(p.SignHash(testChainID))
	if err != nil {
		h.t.Fatal(err)
	}
	p.Sig = sig
	return Message{Proposal: p}
}

func (h *harness) vote(from common.Address, t chain.VoteType, r uint32, block common.Hash) Message {
	v := &Vote{Type: t, Height: 1, Round: r, BlockHash: block, Validator: from}
	sig, err := h.signers[from].Sign(v.SignHash(testChainID))
	if err != nil {
		h.t.Fatal(err)
	}
	v.Sig = sig
	return Message{Vote: v}
}

// step feeds messages and fails on an error.
func (h *harness) step(msgs ...Message) {
	h.t.Helper()
	for _, msg := range msgs {
		if err := h.m.Step(msg); err != nil {
			h.t.Fatalf("Step(%s): %v", msg, err)
		}
		h.drain()
	}
}

// votes feeds t-votes at round r for block from each of from.
func (h *harness) votes(t chain.VoteType, r uint32, block common.Hash, from ...common.Address) {
	h.t.Helper()
	for _, a := range from {
		h.step(h.vote(a, t, r, block))
	}
}

func (h *harness) drain() {
	for h.m.HasReady() {
		rd := h.m.Ready()
		h.ready = append(h.ready, rd)
		h.sent = append(h.sent, rd.Messages...)
		h.m.Advance(rd)
	}
}

func (h *harness) tick(n int) {
	for i := 0; i < n; i++ {
		h.m.Tick()
		h.drain()
	}
}

// myVote is me's vote of type t at round r, or nil.
func (h *harness) myVote(t chain.VoteType, r uint32) *Vote {
	var found *Vote
	for _, msg := range h.sent {
		if v := msg.Vote; v != nil && v.Validator == h.me && v.Type == t && v.Round == r && v.Height == 1 {
			if found != nil && found.BlockHash != v.BlockHash {
				h.t.Fatalf("me signed two %d votes at round %d", t, r)
			}
			found = v
		}
	}
	return found
}

// wantVote asserts me's vote of type t at round r is for block (zero = nil).
func (h *harness) wantVote(t chain.VoteType, r uint32, block common.Hash) {
	h.t.Helper()
	v := h.myVote(t, r)
	if v == nil {
		h.t.Fatalf("me sent no vote of type %d at round %d (status %+v)", t, r, h.m.Status())
	}
	if v.BlockHash != block {
		h.t.Fatalf("me voted %s at round %d, want %s", v, r, block.TerminalString())
	}
}

func (h *harness) wantNoVote(t chain.VoteType, r uint32) {
	h.t.Helper()
	if v := h.myVote(t, r); v != nil {
		h.t.Fatalf("me voted %s, want no vote yet", v)
	}
}

func (h *harness) lastSafety() *SafetyRecord {
	for i := len(h.ready) - 1; i >= 0; i-- {
		if h.ready[i].Safety != nil {
			return h.ready[i].Safety
		}
	}
	return nil
}

func (h *harness) committed() []Commit {
	var out []Commit
	for _, rd := range h.ready {
		out = append(out, rd.Committed...)
	}
	return out
}

// lockOn makes me lock on b at round r: proposal, then 2f+1 prevotes.
func (h *harness) lockOn(r uint32, b *chain.Block) {
	h.t.Helper()
	h.step(h.proposal(r, b, -1))
	h.votes(chain.VotePrevote, r, b.Hash(), h.others()[:2]...)
	h.wantVote(chain.VotePrecommit, r, b.Hash())
}

// toRound moves me from its current round to round r by timeouts.
func (h *harness) toRound(r uint32) {
	h.t.Helper()
	for i := 0; h.m.Status().Round < r; i++ {
		if i > 10000 {
			h.t.Fatalf("stuck at %+v", h.m.Status())
		}
		st := h.m.Status()
		// Others precommit nil so that the precommit timeout runs.
		for _, a := range h.others() {
			_ = h.m.Step(h.vote(a, chain.VotePrecommit, st.Round, common.Hash{}))
		}
		h.tick(1)
	}
	if st := h.m.Status(); st.Round != r {
		h.t.Fatalf("at round %d, want %d", st.Round, r)
	}
}
