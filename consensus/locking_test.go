package consensus

import (
	"errors"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/sovereign-ledger/sovereign/chain"
)

// Scenario tests of Algorithm 1 (Buchman, Kwon, Milosevic 2018). Each names
// the lines it checks. Validator "me" is driven by hand; the test plays the
// other three (n = 4, f = 1, quorum 3).

// Lines 22-24, 27: an unlocked validator prevotes a valid proposal.
func TestLine22PrevoteValidProposal(t *testing.T) {
	h := newHarness(t)
	b := h.block(0, 0)
	h.step(h.proposal(0, b, -1))
	h.wantVote(chain.VotePrevote, 0, b.Hash())
	if st := h.m.Status(); st.Step != StepPrevote {
		t.Fatalf("step %s after prevote, want prevote (line 27)", st.Step)
	}
}

// Lines 22, 25-26: an invalid block (App refuses) gets a nil prevote.
func TestLine26PrevoteNilForInvalidBlock(t *testing.T) {
	h := newHarness(t)
	b := h.block(0, 0)
	h.app[b.Hash()] = true
	h.step(h.proposal(0, b, -1))
	h.wantVote(chain.VotePrevote, 0, common.Hash{})
}

// valid(v) includes what the core checks itself: the proposer named in
// the header must be the key holder of the block's round.
func TestLine26PrevoteNilForWrongProposer(t *testing.T) {
	h := newHarness(t)
	b := h.block(0, 0)
	b.Header.Proposer = h.order[1]
	h.step(h.proposal(0, b, -1))
	h.wantVote(chain.VotePrevote, 0, common.Hash{})
}

// Lines 57-60: no proposal before timeoutPropose(0) → prevote nil.
func TestLine57TimeoutProposePrevotesNil(t *testing.T) {
	h := newHarness(t)
	h.tick(DefaultProposeTicks - 1)
	h.wantNoVote(chain.VotePrevote, 0)
	h.tick(1)
	h.wantVote(chain.VotePrevote, 0, common.Hash{})
}

// Lines 36-43: a proposal and 2f+1 prevotes for it lock the value,
// precommit it and set the valid value; the safety record carries the lock
// and Ready.Valid the block with its proof of lock.
func TestLine36LockAndPrecommit(t *testing.T) {
	h := newHarness(t)
	b := h.block(0, 0)
	h.step(h.proposal(0, b, -1))
	h.votes(chain.VotePrevote, 0, b.Hash(), h.others()[:1]...)
	h.wantNoVote(chain.VotePrecommit, 0) // 2 of 4 is no quorum
	h.votes(chain.VotePrevote, 0, b.Hash(), h.others()[1])
	h.wantVote(chain.VotePrecommit, 0, b.Hash())
	st := h.m.Status()
	if st.LockedRound != 0 || st.LockedBlock != b.Hash() || st.ValidRound != 0 || st.ValidBlock != b.Hash() {
		t.Fatalf("status %+v: want locked and valid on %s at round 0", st, b.Hash())
	}
	sr := h.lastSafety()
	if sr == nil || sr.LockedBlock != b.Hash() || sr.LockedRound != 0 || sr.Step != StepPrecommit {
		t.Fatalf("safety record %+v does not carry the lock", sr)
	}
	var valid *ValidValue
	for _, rd := range h.ready {
		if rd.Valid != nil {
			valid = rd.Valid
		}
	}
	if valid == nil || valid.Block.Hash() != b.Hash() || len(valid.Prevotes) != 3 {
		t.Fatalf("Ready.Valid %+v: want the block and 3 prevotes", valid)
	}
}

// Lines 36, 42-43: 2f+1 prevotes seen after precommitting nil update the
// valid value but not the lock.
func TestLine42ValidWithoutLock(t *testing.T) {
	h := newHarness(t)
	b := h.block(0, 0)
	h.tick(DefaultProposeTicks)                                 // prevote nil (line 59)
	h.votes(chain.VotePrevote, 0, common.Hash{}, h.others()[0]) // 2f+1 prevotes of any kind...
	h.votes(chain.VotePrevote, 0, b.Hash(), h.others()[1])      // ...start timeoutPrevote (line 34)
	h.tick(DefaultPrevoteTicks)                                 // line 61-64: precommit nil
	h.wantVote(chain.VotePrecommit, 0, common.Hash{})
	h.step(h.proposal(0, b, -1))
	h.votes(chain.VotePrevote, 0, b.Hash(), h.others()[2], h.others()[0]) // others[0] equivocates; counted for b too
	st := h.m.Status()
	if st.LockedRound != -1 || st.ValidRound != 0 || st.ValidBlock != b.Hash() {
		t.Fatalf("status %+v: want valid (not locked) on round 0", st)
	}
}

// Lines 22-23, 26: a validator locked on A prevotes nil for a different
// block B proposed without proof of lock.
func TestLine23LockedPrevotesNilForOtherValue(t *testing.T) {
	h := newHarness(t)
	a := h.block(0, 0)
	h.lockOn(0, a)
	h.toRound(1)
	b := h.block(1, 1)
	h.step(h.proposal(1, b, -1))
	h.wantVote(chain.VotePrevote, 1, common.Hash{})
}

// Lines 22-24: ... but prevotes its locked value again when re-proposed.
func TestLine23LockedPrevotesLockedValue(t *testing.T) {
	h := newHarness(t)
	a := h.block(0, 0)
	h.lockOn(0, a)
	h.toRound(1)
	h.step(h.proposal(1, a, -1))
	h.wantVote(chain.VotePrevote, 1, a.Hash())
}

// Lines 28-30: a proposal with a proof of lock from a round at or after
// the validator's lock unlocks it: locked on A at round 0, B gets 2f+1
// prevotes at round 1 (me did not see B then), and B re-proposed at round 2
// with POL round 1 gets me's prevote.
func TestLine28ProofOfLockUnlocks(t *testing.T) {
	h := newHarness(t)
	a := h.block(0, 0)
	h.lockOn(0, a)
	h.toRound(2)
	b := h.block(1, 1)
	h.step(h.proposal(2, b, 1))
	h.wantNoVote(chain.VotePrevote, 2) // line 28 waits for the POL
	h.votes(chain.VotePrevote, 1, b.Hash(), h.others()...)
	h.wantVote(chain.VotePrevote, 2, b.Hash())
}

// Lines 28-29, 31-32: a proof of lock older than the lock does not unlock:
// locked on A at round 1, B with POL round 0 gets a nil prevote.
func TestLine32OlderProofOfLockDoesNotUnlock(t *testing.T) {
	h := newHarness(t)
	b := h.block(0, 1)
	h.votes(chain.VotePrevote, 0, b.Hash(), h.others()...) // POL for b at round 0; me never saw b's proposal
	h.toRound(1)
	a := h.block(1, 0)
	h.lockOn(1, a)
	h.toRound(2)
	h.step(h.proposal(2, b, 0))
	h.wantVote(chain.VotePrevote, 2, common.Hash{})
}

// Lines 44-46: 2f+1 prevotes for nil → precommit nil.
func TestLine44PrevoteNilQuorum(t *testing.T) {
	h := newHarness(t)
	h.tick(DefaultProposeTicks)
	h.votes(chain.VotePrevote, 0, common.Hash{}, h.others()[:2]...)
	h.wantVote(chain.VotePrecommit, 0, common.Hash{})
}

// Lines 47-48, 65-67: 2f+1 precommits of any kind start timeoutPrecommit,
// which moves to the next round with the next key holder.
func TestLine47PrecommitTimeoutNextRound(t *testing.T) {
	h := newHarness(t)
	b := h.block(0, 0)
	h.step(h.proposal(0, b, -1))
	h.votes(chain.VotePrecommit, 0, b.Hash(), h.others()[0])
	h.votes(chain.VotePrecommit, 0, common.Hash{}, h.others()[1:]...)
	h.tick(DefaultPrecommitTicks - 1)
	if r := h.m.Status().Round; r != 0 {
		t.Fatalf("round %d before timeoutPrecommit", r)
	}
	h.tick(1)
	st := h.m.Status()
	if st.Round != 1 || st.Step != StepPropose || st.Holder != h.order[1] {
		t.Fatalf("status %+v: want round 1 propose with holder %s", st, h.order[1])
	}
}

// Lines 49-54: a proposal and 2f+1 precommits for it decide, even for a
// round the validator has left; the certificate verifies and the next
// height starts at round 0 with the seed advanced by the block's reveal.
func TestLine49DecideInEarlierRound(t *testing.T) {
	h := newHarness(t)
	b := h.block(0, 0)
	h.step(h.proposal(0, b, -1))
	h.toRound(2)
	if len(h.committed()) != 0 {
		t.Fatal("decided without precommits")
	}
	h.votes(chain.VotePrecommit, 0, b.Hash(), h.others()...)
	cs := h.committed()
	if len(cs) != 1 || cs[0].Block.Hash() != b.Hash() {
		t.Fatalf("committed %v, want block %s", cs, b.Hash())
	}
	if err := cs[0].Cert.Verify(testChainID, h.vs); err != nil || cs[0].Cert.Round != 0 {
		t.Fatalf("certificate %+v: %v", cs[0].Cert, err)
	}
	st := h.m.Status()
	if st.Height != 2 || st.Round != 0 || st.Seed != chain.NextSeed(genesisSeed, b.Header.Reveal) || st.LockedRound != -1 {
		t.Fatalf("status %+v after deciding", st)
	}
}

// Line 55: messages from f+1 validators for a higher round move the
// validator to that round (here, skipping rounds 1-4).
func TestLine55RoundSkip(t *testing.T) {
	h := newHarness(t)
	h.votes(chain.VotePrevote, 5, common.Hash{}, h.others()[0])
	if r := h.m.Status().Round; r != 0 {
		t.Fatalf("one validator (f) moved me to round %d", r)
	}
	h.votes(chain.VotePrecommit, 7, common.Hash{}, h.others()[1])
	if r := h.m.Status().Round; r != 5 {
		t.Fatalf("round %d after f+1 validators at rounds 5 and 7, want 5", r)
	}
}

// Lines 14-16, 19: a key holder with a valid value re-proposes it with its
// valid round as POL round, without asking the node for a block.
func TestLine15HolderReproposesValidValue(t *testing.T) {
	h := newHarness(t)
	a := h.block(0, 0)
	h.lockOn(0, a)
	h.toRound(3) // me holds the key at round 3
	var prop *Proposal
	for _, msg := range h.sent {
		if p := msg.Proposal; p != nil && p.Round == 3 {
			prop = p
		}
	}
	if prop == nil || prop.Block.Hash() != a.Hash() || prop.POLRound != 0 {
		t.Fatalf("round 3 proposal %+v: want block %s with POL round 0", prop, a.Hash())
	}
	for _, rd := range h.ready {
		if rd.Propose != nil && rd.Propose.Round == 3 {
			t.Fatal("holder with a valid value was asked for a new block")
		}
	}
}

// Line 18: a key holder without a valid value asks the node for a block.
func TestLine18HolderAsksForBlock(t *testing.T) {
	h := newHarness(t)
	h.toRound(3)
	var req *ProposeRequest
	for _, rd := range h.ready {
		if rd.Propose != nil {
			req = rd.Propose
		}
	}
	if req == nil || req.Round != 3 || req.Height != 1 || req.Seed != genesisSeed {
		t.Fatalf("propose request %+v, want height 1 round 3", req)
	}
	b := buildBlock(req, h.me, 0)
	if err := h.m.Propose(b); err != nil {
		t.Fatal(err)
	}
	h.drain()
	h.wantVote(chain.VotePrevote, 3, b.Hash()) // its own proposal, line 24
	if err := h.m.Propose(buildBlock(req, h.me, 1)); !errors.Is(err, ErrNotHolder) {
		t.Fatalf("second Propose: %v, want ErrNotHolder", err)
	}
}

// Timeouts grow per round and stop at the cap.
func TestTimeoutGrowth(t *testing.T) {
	cfg := Config{}.withDefaults()
	for _, c := range []struct {
		round uint32
		want  uint64
	}{{0, 50}, {1, 70}, {5, 150}, {12, 290}, {13, 300}, {1000, 300}} {
		if got := cfg.timeout(cfg.ProposeTicks, c.round); got != c.want {
			t.Errorf("timeoutPropose(%d) = %d, want %d", c.round, got, c.want)
		}
	}
}

// Conflicting votes from one validator are reported as evidence that
// verifies; the first vote keeps counting.
func TestEvidence(t *testing.T) {
	h := newHarness(t)
	bad := h.others()[0]
	b := h.block(0, 0)
	h.step(h.vote(bad, chain.VotePrevote, 0, b.Hash()), h.vote(bad, chain.VotePrevote, 0, common.Hash{}))
	var ev []Evidence
	for _, rd := range h.ready {
		ev = append(ev, rd.Evidence...)
	}
	if len(ev) != 1 || ev[0].A.Validator != bad {
		t.Fatalf("evidence %+v, want one against %s", ev, bad)
	}
	if err := ev[0].Verify(testChainID, h.vs); err != nil {
		t.Fatal(err)
	}
	same := Evidence{A: ev[0].A, B: ev[0].A}
	if same.Verify(testChainID, h.vs) == nil {
		t.Fatal("a vote twice is not evidence")
	}
}

// Step refuses what it must, naming why.
func TestStepRejects(t *testing.T) {
	h := newHarness(t)
	b := h.block(0, 0)
	notHolder := h.proposal(0, b, -1)
	sig, _ := h.signers[h.order[2]].Sign(notHolder.Proposal.SignHash(testChainID))
	notHolder.Proposal.Sig = sig
	badSig := h.vote(h.others()[0], chain.VotePrevote, 0, b.Hash())
	badSig.Vote.BlockHash = common.Hash{1}
	outsider := h.vote(h.others()[0], chain.VotePrevote, 0, b.Hash())
	outsider.Vote.Validator = common.Address{9}
	stale := h.vote(h.others()[0], chain.VotePrevote, 0, b.Hash())
	stale.Vote.Height = 0
	far := h.vote(h.others()[0], chain.VotePrevote, 0, b.Hash())
	far.Vote.Height = 3
	polTooHigh := h.proposal(0, b, 0)
	for _, c := range []struct {
		name string
		msg  Message
		want error
	}{
		{"proposal not from the key holder", notHolder, ErrNotHolder},
		{"vote with a wrong signature", badSig, ErrBadSignature},
		{"vote from a non-validator", outsider, ErrUnknownValidator},
		{"vote for an old height", stale, ErrStale},
		{"vote two heights ahead", far, ErrFuture},
		{"POL round not below the round", polTooHigh, ErrMalformed},
		{"empty message", Message{}, ErrMalformed},
	} {
		if err := h.m.Step(c.msg); !errors.Is(err, c.want) {
			t.Errorf("%s: Step = %v, want %v", c.name, err, c.want)
		}
	}
	h.drain()
	h.wantNoVote(chain.VotePrevote, 0)
}

// A next-height message waits in the buffer and counts once the height
// starts.
func TestNextHeightBuffered(t *testing.T) {
	h := newHarness(t)
	b := h.block(0, 0)
	// Height 2 precommits arrive early (others are ahead); they must count
	// at height 2, here toward the round-skip rule.
	early := h.vote(h.others()[0], chain.VotePrecommit, 4, common.Hash{})
	early.Vote.Height = 2
	sig, _ := h.signers[h.others()[0]].Sign(early.Vote.SignHash(testChainID))
	early.Vote.Sig = sig
	early2 := h.vote(h.others()[1], chain.VotePrecommit, 4, common.Hash{})
	early2.Vote.Height = 2
	sig, _ = h.signers[h.others()[1]].Sign(early2.Vote.SignHash(testChainID))
	early2.Vote.Sig = sig
	h.step(early, early2)
	h.step(h.proposal(0, b, -1))
	h.votes(chain.VotePrecommit, 0, b.Hash(), h.others()...)
	if st := h.m.Status(); st.Height != 2 || st.Round != 4 {
		t.Fatalf("status %+v: want height 2, skipped to round 4 by the buffered votes", st)
	}
}

// Catchup decides a synced block with a valid certificate, and refuses
// what does not match.
func TestCatchup(t *testing.T) {
	h := newHarness(t)
	b := h.block(1, 0) // made in round 1, say, while me was elsewhere
	cert := &chain.Certificate{Height: 1, Round: 4, BlockHash: b.Hash()}
	for _, a := range h.others() {
		v := h.vote(a, chain.VotePrecommit, 4, b.Hash()).Vote
		cert.Sigs = append(cert.Sigs, chain.CommitSig{Validator: a, Sig: v.Sig})
	}
	short := &chain.Certificate{Height: 1, Round: 4, BlockHash: b.Hash(), Sigs: cert.Sigs[:2]}
	other := h.block(1, 1)
	for _, c := range []struct {
		name   string
		commit Commit
		want   error
	}{
		{"certificate below quorum", Commit{Block: b, Cert: short}, ErrInvalidBlock},
		{"certificate for another block", Commit{Block: other, Cert: cert}, ErrInvalidBlock},
		{"no certificate", Commit{Block: b}, ErrMalformed},
	} {
		if err := h.m.Catchup(c.commit); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	if err := h.m.Catchup(Commit{Block: b, Cert: cert}); err != nil {
		t.Fatal(err)
	}
	h.drain()
	if cs := h.committed(); len(cs) != 1 || cs[0].Block.Hash() != b.Hash() {
		t.Fatalf("committed %v", cs)
	}
	if err := h.m.Catchup(Commit{Block: b, Cert: cert}); !errors.Is(err, ErrStale) {
		t.Fatalf("second catchup: %v, want ErrStale", err)
	}
	if st := h.m.Status(); st.Height != 2 || st.Seed != chain.NextSeed(genesisSeed, b.Header.Reveal) {
		t.Fatalf("status %+v", st)
	}
}

// A validator restarted while locked (every validator, say, after a power
// cut) gets its locked block and proof of lock back from Ready.Valid and,
// as key holder, re-proposes it (line 15) instead of asking for a new one.
func TestRestartLockedHolderReproposes(t *testing.T) {
	h := newHarness(t)
	a := h.block(0, 0)
	h.lockOn(0, a)
	var valid *ValidValue
	for _, rd := range h.ready {
		if rd.Valid != nil {
			valid = rd.Valid
		}
	}
	sr := h.lastSafety()
	// Jump the record to round 2 as if me had gone on, then restart: round 3
	// is me's turn.
	rec := *sr
	rec.Round, rec.Step, rec.Votes = 2, StepPrecommit, nil
	cfg := testConfig(h.vs, h.signers[h.me])
	m := mustNew(t, cfg, StartState{Height: 1, Seed: genesisSeed, Safety: &rec, Valid: valid})
	h.m, h.sent, h.ready = m, nil, nil
	h.drain()
	h.toRound(3)
	var prop *Proposal
	for _, msg := range h.sent {
		if p := msg.Proposal; p != nil && p.Round == 3 {
			prop = p
		}
	}
	if prop == nil || prop.Block.Hash() != a.Hash() || prop.POLRound != 0 {
		t.Fatalf("after restart, round 3 proposal %+v: want the locked block with POL round 0", prop)
	}
	for _, rd := range h.ready {
		if rd.Propose != nil {
			t.Fatal("a locked holder was asked for a new block")
		}
	}
	// The POL prevotes go out with it, so peers can check line 28.
	pol := 0
	for _, msg := range h.sent {
		if v := msg.Vote; v != nil && v.Round == 0 && v.Type == chain.VotePrevote && v.BlockHash == a.Hash() {
			pol++
		}
	}
	if pol < 3 {
		t.Fatalf("%d POL prevotes sent with the re-proposal, want 3", pol)
	}
}
