package consensus

import (
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/sovereign-ledger/sovereign/chain"
)

// A quorum is more than 2/3 of the power, not 2/3 and not a majority: with
// six validators of equal power, four prevotes (exactly 2/3) neither lock
// (line 36) nor decide (line 49); five do. A quorum of >= 2/3 or of > 1/2
// would let two quorums meet in a third of the power only, which f = n/3
// Byzantine validators can fill (see byzThird in the simulation).
func TestQuorumIsMoreThanTwoThirds(t *testing.T) {
	signers, vs := testValidators(6)
	order := vs.HolderOrder(genesisSeed)
	me := signers[0]
	if order[0] == me.Address() {
		me = signers[1]
	}
	m := mustNew(t, testConfig(vs, me), StartState{Height: 1, Seed: genesisSeed})
	var sent []Message
	var decided []Commit
	drain := func() {
		for m.HasReady() {
			rd := m.Ready()
			sent = append(sent, rd.Messages...)
			decided = append(decided, rd.Committed...)
			m.Advance(rd)
		}
	}
	byAddr := map[common.Address]*KeySigner{}
	var others []common.Address
	for _, s := range signers {
		byAddr[s.Address()] = s
		if s != me {
			others = append(others, s.Address())
		}
	}
	step := func(msg Message) {
		if err := m.Step(msg); err != nil {
			t.Fatalf("Step(%s): %v", msg, err)
		}
		drain()
	}
	vote := func(from common.Address, typ chain.VoteType, block common.Hash) Message {
		v := &Vote{Type: typ, Height: 1, Round: 0, BlockHash: block, Validator: from}
		v.Sig, _ = byAddr[from].Sign(v.SignHash(testChainID))
		return Message{Vote: v}
	}
	myVote := func(typ chain.VoteType) *Vote {
		for _, msg := range sent {
			if v := msg.Vote; v != nil && v.Validator == me.Address() && v.Type == typ {
				return v
			}
		}
		return nil
	}
	drain()
	b := buildBlock(&ProposeRequest{Height: 1, Round: 0}, order[0], 0)
	p := &Proposal{Height: 1, Round: 0, POLRound: -1, Block: b}
	p.Sig, _ = byAddr[order[0]].Sign(p.SignHash(testChainID))
	step(Message{Proposal: p})
	if v := myVote(chain.VotePrevote); v == nil || v.BlockHash != b.Hash() {
		t.Fatalf("prevote %v, want one for the proposal", v)
	}
	// Three more prevotes: 4 of 6, exactly 2/3.
	for _, a := range others[:3] {
		step(vote(a, chain.VotePrevote, b.Hash()))
	}
	if v := myVote(chain.VotePrecommit); v != nil {
		t.Fatalf("precommitted %s on prevotes of exactly 2/3 of the power", v)
	}
	if st := m.Status(); st.LockedRound != -1 {
		t.Fatalf("locked on exactly 2/3 of the power: %+v", st)
	}
	// Four precommits (exactly 2/3) do not decide.
	for _, a := range others[:4] {
		step(vote(a, chain.VotePrecommit, b.Hash()))
	}
	if len(decided) != 0 {
		t.Fatal("decided on precommits of exactly 2/3 of the power")
	}
	// The fifth prevote makes more than 2/3: lock and precommit; with the
	// fifth precommit (ours), decide.
	step(vote(others[3], chain.VotePrevote, b.Hash()))
	if v := myVote(chain.VotePrecommit); v == nil || v.BlockHash != b.Hash() {
		t.Fatalf("precommit %v on 5 of 6 prevotes, want one for the block", v)
	}
	if len(decided) != 1 || decided[0].Block.Hash() != b.Hash() {
		t.Fatalf("decided %v with 5 of 6 precommits", decided)
	}
}

// A validator restarted from its safety record keeps its lock: locked on a
// in round 0, it prevotes nil for a fresh block b in round 1 (line 23), as
// it would have without the restart, even though the block a itself (the
// Valid record) is lost.
func TestRestartKeepsLock(t *testing.T) {
	h := newHarness(t)
	a := h.block(0, 0)
	h.lockOn(0, a)
	rec := *h.lastSafety()
	if rec.LockedBlock != a.Hash() || rec.LockedRound != 0 {
		t.Fatalf("safety record %+v does not hold the lock", rec)
	}
	h.m = mustNew(t, testConfig(h.vs, h.signers[h.me]), StartState{Height: 1, Seed: genesisSeed, Safety: &rec})
	h.sent, h.ready = nil, nil
	h.drain()
	if st := h.m.Status(); st.LockedRound != 0 || st.LockedBlock != a.Hash() {
		t.Fatalf("after restart: %+v, want locked on %s at round 0", st, a.Hash().TerminalString())
	}
	h.toRound(1)
	b := h.block(1, 0)
	h.step(h.proposal(1, b, -1))
	h.wantVote(chain.VotePrevote, 1, common.Hash{})
}

// A chain database restored from an older backup, with the signer state
// kept: the machine starts heights below its safety record and must sign
// nothing there (the CheckHRS guard in sign), however long it waits;
// signing a nil prevote on timeout would sign a second vote for a step it
// signed before.
func TestRestoredChainDoesNotSignAgain(t *testing.T) {
	signers, vs := testValidators(4)
	rec := &SafetyRecord{Height: 3, Round: 1, Step: StepPrecommit, LockedRound: -1, ValidRound: -1}
	m := mustNew(t, testConfig(vs, signers[0]), StartState{Height: 1, Seed: genesisSeed, Safety: rec})
	for i := 0; i < 2000; i++ {
		m.Tick()
		for m.HasReady() {
			rd := m.Ready()
			for _, msg := range rd.Messages {
				if msg.Vote != nil && msg.Vote.Validator == signers[0].Address() || msg.Proposal != nil {
					t.Fatalf("signed %s at height 1 with a safety record at height 3", msg)
				}
			}
			if rd.Propose != nil {
				t.Fatal("asked to propose at height 1 with a safety record at height 3")
			}
			m.Advance(rd)
		}
	}
	if st := m.Status(); st.Step != StepPrevote {
		t.Fatalf("status %+v: timeoutPropose never ran", st)
	}
}
