package consensus

import (
	"errors"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/sovereign-ledger/sovereign/chain"
)

// chainDriver plays three validators of a 4-validator set at any height and
// watches the fourth ("me"), a machine under test.
type chainDriver struct {
	t       *testing.T
	signers map[common.Address]*KeySigner
	vs      *chain.ValidatorSet
	me      common.Address
	m       *Machine
	sent    []Message
	commits []Commit
}

func newChainDriver(t *testing.T, cfgEdit func(*Config), st StartState) *chainDriver {
	signers, vs := testValidators(4)
	d := &chainDriver{t: t, signers: map[common.Address]*KeySigner{}, vs: vs, me: signers[0].Address()}
	for _, s := range signers {
		d.signers[s.Address()] = s
	}
	cfg := testConfig(vs, signers[0])
	if cfgEdit != nil {
		cfgEdit(&cfg)
	}
	if st.Height == 0 {
		st = StartState{Height: 1, Seed: genesisSeed}
	}
	d.m = mustNew(t, cfg, st)
	d.drain()
	return d
}

func (d *chainDriver) drain() {
	for d.m.HasReady() {
		rd := d.m.Ready()
		d.sent = append(d.sent, rd.Messages...)
		d.commits = append(d.commits, rd.Committed...)
		d.m.Advance(rd)
		if rd.Propose != nil {
			if err := d.m.Propose(buildBlock(rd.Propose, d.me, 0)); err != nil {
				d.t.Fatalf("Propose: %v", err)
			}
			d.drain()
		}
	}
}

func (d *chainDriver) others() []common.Address {
	var out []common.Address
	for _, v := range d.vs.Validators {
		if v.Address != d.me {
			out = append(out, v.Address)
		}
	}
	return out
}

func (d *chainDriver) signVote(from common.Address, t chain.VoteType, h uint64, r uint32, block common.Hash) Message {
	v := &Vote{Type: t, Height: h, Round: r, BlockHash: block, Validator: from}
	sig, err := d.signers[from].Sign(v.SignHash(testChainID))
	if err != nil {
		d.t.Fatal(err)
	}
	v.Sig = sig
	return Message{Vote: v}
}

func (d *chainDriver) step(msg Message) {
	_ = d.m.Step(msg)
	d.drain()
}

// next builds the block the key holder of round r proposes at the
// machine's current height, with its proposal.
func (d *chainDriver) next(r uint32) (*chain.Block, Message) {
	st := d.m.Status()
	holder := d.vs.Holder(st.Seed, r)
	var lc *chain.Certificate
	if len(d.commits) > 0 {
		lc = d.commits[len(d.commits)-1].Cert
	}
	b := buildBlock(&ProposeRequest{Height: st.Height, Round: r, LastCommit: lc}, holder, 0)
	p := &Proposal{Height: st.Height, Round: r, POLRound: -1, Block: b}
	sig, err := d.signers[holder].Sign(p.SignHash(testChainID))
	if err != nil {
		d.t.Fatal(err)
	}
	p.Sig = sig
	return b, Message{Proposal: p}
}

// decideLive has the three others decide the current height in a round
// whose key holder is not me, by live proposal and votes.
func (d *chainDriver) decideLive() {
	d.t.Helper()
	st := d.m.Status()
	r := uint32(0)
	for d.vs.Holder(st.Seed, r) == d.me {
		r++
	}
	if r > 0 {
		for _, a := range d.others() { // f+1 in round r: line 55
			d.step(d.signVote(a, chain.VotePrevote, st.Height, r, common.Hash{}))
		}
	}
	b, prop := d.next(r)
	d.step(prop)
	for _, typ := range []chain.VoteType{chain.VotePrevote, chain.VotePrecommit} {
		for _, a := range d.others() {
			d.step(d.signVote(a, typ, st.Height, r, b.Hash()))
		}
	}
	if got := d.m.Status().Height; got != st.Height+1 {
		d.t.Fatalf("height %d not decided (status %+v)", st.Height, d.m.Status())
	}
}

// ownSigned counts the messages me signed.
func (d *chainDriver) ownSigned() int {
	n := 0
	for _, msg := range d.sent {
		if (msg.Vote != nil && msg.Vote.Validator == d.me) || (msg.Proposal != nil && d.vs.Holder(d.seedAt(msg.Proposal.Height), msg.Proposal.Round) == d.me) {
			n++
		}
	}
	return n
}

func (d *chainDriver) seedAt(h uint64) common.Hash {
	seed := genesisSeed
	for _, c := range d.commits {
		if c.Block.Height() >= h {
			break
		}
		seed = chain.NextSeed(seed, c.Block.Header.Reveal)
	}
	return seed
}

// A validator that lost its signer state signs nothing while it watches
// DoubleSignCheckHeights heights decided live, then signs again.
func TestLostSignerStateWatchesBeforeSigning(t *testing.T) {
	d := newChainDriver(t, nil, StartState{Height: 1, Seed: genesisSeed, SignerStateLost: true})
	if w := d.m.Status().SignerWatch; w != DefaultDoubleSignCheckHeights {
		t.Fatalf("SignerWatch %d at start, want %d", w, DefaultDoubleSignCheckHeights)
	}
	for i := 0; i < DefaultDoubleSignCheckHeights; i++ {
		d.decideLive()
		if n := d.ownSigned(); n != 0 {
			t.Fatalf("signed %d messages while watching height %d", n, i+1)
		}
		if err := d.m.Propose(buildBlock(&ProposeRequest{Height: d.m.Status().Height}, d.me, 0)); !errors.Is(err, ErrSignerWatch) && d.m.Status().SignerWatch > 0 {
			t.Fatalf("Propose while watching: %v, want ErrSignerWatch", err)
		}
	}
	if w := d.m.Status().SignerWatch; w != 0 {
		t.Fatalf("SignerWatch %d after %d clean heights, want 0", w, DefaultDoubleSignCheckHeights)
	}
	d.decideLive()
	if d.ownSigned() == 0 {
		t.Fatal("the watch is over but me signed nothing at the next height")
	}
}

// A message signed with our own key at the current height (or later)
// proves the validator signed there before the loss: the watch starts
// again, counting only heights above it.
func TestLostSignerStateOwnSignatureRestartsWatch(t *testing.T) {
	d := newChainDriver(t, nil, StartState{Height: 1, Seed: genesisSeed, SignerStateLost: true})
	d.decideLive() // one clean height
	if w := d.m.Status().SignerWatch; w != 1 {
		t.Fatalf("SignerWatch %d, want 1", w)
	}
	// Our own precommit of height 2, signed before the loss, relayed back.
	st := d.m.Status()
	d.step(d.signVote(d.me, chain.VotePrecommit, st.Height, 0, common.Hash{7}))
	d.decideLive()
	st2 := d.m.Status()
	if st2.SignerWatch != DefaultDoubleSignCheckHeights || st2.OwnSignatureSeen != st.Height {
		t.Fatalf("after own signature at height %d: SignerWatch %d OwnSignatureSeen %d, want %d and %d",
			st.Height, st2.SignerWatch, st2.OwnSignatureSeen, DefaultDoubleSignCheckHeights, st.Height)
	}
	// A vote of ours two heights ahead counts as well (and shows the
	// machine is behind).
	far := d.signVote(d.me, chain.VotePrevote, st2.Height+2, 0, common.Hash{})
	if err := d.m.Step(far); !errors.Is(err, ErrFuture) {
		t.Fatalf("far vote: %v", err)
	}
	d.decideLive()
	if st3 := d.m.Status(); st3.SignerWatch != DefaultDoubleSignCheckHeights || st3.OwnSignatureSeen != st2.Height+2 {
		t.Fatalf("status %+v after own vote two heights ahead", st3)
	}
	if n := d.ownSigned(); n != 0 {
		t.Fatalf("signed %d messages while watching", n)
	}
}

// Heights decided by sync do not count: the machine was behind, and those
// heights may be ones it signed before the loss.
func TestLostSignerStateCatchupDoesNotCount(t *testing.T) {
	src := newChainDriver(t, nil, StartState{})
	for i := 0; i < 3; i++ {
		src.decideLive()
	}
	d := newChainDriver(t, nil, StartState{Height: 1, Seed: genesisSeed, SignerStateLost: true})
	for _, c := range src.commits {
		if err := d.m.Catchup(c); err != nil {
			t.Fatal(err)
		}
		d.drain()
	}
	if w := d.m.Status().SignerWatch; w != DefaultDoubleSignCheckHeights {
		t.Fatalf("SignerWatch %d after three synced heights, want %d", w, DefaultDoubleSignCheckHeights)
	}
	if d.ownSigned() != 0 {
		t.Fatal("signed while watching")
	}
}

// Without the flag, or with the watch turned off, a validator signs at once.
func TestSignerWatchOff(t *testing.T) {
	for name, c := range map[string]struct {
		lost   bool
		checks int
	}{"state kept": {false, 0}, "watch turned off": {true, -1}} {
		d := newChainDriver(t, func(cfg *Config) { cfg.DoubleSignCheckHeights = c.checks },
			StartState{Height: 1, Seed: genesisSeed, SignerStateLost: c.lost})
		d.decideLive()
		if d.m.Status().SignerWatch != 0 || d.ownSigned() == 0 {
			t.Errorf("%s: status %+v, signed %d", name, d.m.Status(), d.ownSigned())
		}
	}
}

// One noisy validator cannot fill the next-height buffer: it keeps at most
// MaxBufferedPerValidator of its messages, and the others' still fit.
func TestFutureBufferPerValidator(t *testing.T) {
	d := newChainDriver(t, nil, StartState{})
	noisy, quiet := d.others()[0], d.others()[1]
	full := 0
	for r := uint32(0); r < 50; r++ {
		if err := d.m.Step(d.signVote(noisy, chain.VotePrevote, 2, r, common.Hash{})); errors.Is(err, ErrBufferFull) {
			full++
		}
	}
	if full != 50-MaxBufferedPerValidator {
		t.Fatalf("%d of 50 noisy votes refused, want %d", full, 50-MaxBufferedPerValidator)
	}
	if err := d.m.Step(d.signVote(quiet, chain.VotePrevote, 2, 0, common.Hash{})); err != nil {
		t.Fatalf("another validator's next-height vote: %v", err)
	}
}

// IsRightfulProposer and VerifyProposal agree with the machine.
func TestRightfulProposer(t *testing.T) {
	d := newChainDriver(t, nil, StartState{})
	_, prop := d.next(2)
	holder := d.vs.Holder(genesisSeed, 2)
	if !IsRightfulProposer(d.vs, genesisSeed, 2, holder) {
		t.Fatal("the holder of round 2 is not its rightful proposer")
	}
	for _, v := range d.vs.Validators {
		if v.Address != holder && IsRightfulProposer(d.vs, genesisSeed, 2, v.Address) {
			t.Fatalf("%s is taken for the rightful proposer of round 2", v.Address)
		}
	}
	if err := VerifyProposal(testChainID, d.vs, genesisSeed, prop.Proposal, nil); err != nil {
		t.Fatalf("rightful proposal refused: %v", err)
	}
	wrong := *prop.Proposal
	wrong.Round = 3
	for d.vs.Holder(genesisSeed, wrong.Round) == holder {
		wrong.Round++
	}
	if err := VerifyProposal(testChainID, d.vs, genesisSeed, &wrong, nil); !errors.Is(err, ErrNotHolder) {
		t.Fatalf("proposal re-labelled for round %d: %v, want ErrNotHolder", wrong.Round, err)
	}
	if err := d.m.Step(Message{Proposal: &wrong}); !errors.Is(err, ErrNotHolder) {
		t.Fatalf("machine: %v, want ErrNotHolder", err)
	}
}
