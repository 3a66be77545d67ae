package ledger

import (
	"crypto/ecdsa"
	"fmt"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/devnet"
)

// govChain is a chain of several validators for governance tests: each
// block is proposed by its round-0 key holder in the set of its height and
// certified by every validator of the set of its height, so a test sees
// the set history drive holder selection, headers and certificates.
type govChain struct {
	t      *testing.T
	g      *chain.Genesis
	l      *Ledger
	keys   map[common.Address]*ecdsa.PrivateKey
	chains map[common.Address]*chain.HashChain
	nonces map[common.Address]uint64
	now    uint64
}

// govKey is validator i's key; keys beyond the genesis set are candidates.
func govKey(i int) *ecdsa.PrivateKey { return devnet.Key(testSeed, "gov-validator", i) }

func govHashChain(i int) *chain.HashChain {
	return chain.NewHashChain(crypto.Keccak256Hash([]byte(fmt.Sprintf("gov-hashchain-%d", i))), 256)
}

func newGovChain(t *testing.T, validators int, opts ...func(*chain.Genesis)) *govChain {
	t.Helper()
	f := &govChain{t: t, keys: map[common.Address]*ecdsa.PrivateKey{}, chains: map[common.Address]*chain.HashChain{},
		nonces: map[common.Address]uint64{}}
	hc0 := govHashChain(0)
	g := testGenesis(1, hc0)
	g.Validators = nil
	for i := 0; i < 8; i++ { // genesis validators and candidates
		k, hc := govKey(i), govHashChain(i)
		f.keys[addr(k)], f.chains[addr(k)] = k, hc
		if i < validators {
			g.Validators = append(g.Validators, chain.GenesisValidator{Address: addr(k), Power: 1, RevealTip: hc.Tip(), RevealLength: hc.Length()})
		}
	}
	for _, o := range opts {
		o(g)
	}
	if err := g.Validate(); err != nil {
		t.Fatal(err)
	}
	l, err := OpenLedger(NewMemStore(), g)
	if err != nil {
		t.Fatal(err)
	}
	f.g, f.l, f.now = g, l, l.Head().Time
	return f
}

// candidate is the add_validator change for candidate i (not in genesis).
func (f *govChain) candidate(i int, power uint64) chain.Change {
	hc := govHashChain(i)
	return chain.Change{Kind: chain.ChangeAddValidator, Address: addr(govKey(i)), Power: power, RevealTip: hc.Tip(), RevealLength: hc.Length()}
}

func (f *govChain) tx(from *ecdsa.PrivateKey, body chain.Body) *chain.Tx {
	return signNext(f.t, f.g.ChainID, f.nonces, from, body)
}

func (f *govChain) propose(from int, ch chain.Change) *chain.Tx {
	return f.tx(govKey(from), chain.GovPropose{Change: ch, Deadline: f.now + uint64(time.Hour.Milliseconds())})
}

func (f *govChain) vote(from int, id common.Hash) *chain.Tx {
	return f.tx(govKey(from), chain.GovVote{Proposal: id})
}

func (f *govChain) cert(h *chain.Header) *chain.Certificate {
	c := &chain.Certificate{Height: h.Height, Round: h.Round, BlockHash: h.Hash()}
	for _, v := range f.l.ValidatorsAt(h.Height).Validators {
		sig, err := crypto.Sign(c.SignHash(f.g.ChainID).Bytes(), f.keys[v.Address])
		if err != nil {
			f.t.Fatal(err)
		}
		c.Sigs = append(c.Sigs, chain.CommitSig{Validator: v.Address, Sig: sig})
	}
	return c
}

// block builds and commits the next block with txs, returning its receipts.
func (f *govChain) block(txs ...*chain.Tx) (*chain.Block, []*chain.Receipt) {
	f.t.Helper()
	f.now += 1000
	head := f.l.Head()
	st := f.l.State()
	proposer := f.l.ValidatorsAt(head.Height+1).Holder(st.Seed(), 0)
	vstate, ok := st.Validator(proposer)
	if !ok {
		f.t.Fatalf("proposer %s has no reveal state", proposer)
	}
	hc := f.chains[proposer]
	reveal, err := hc.Reveal(vstate.Reveals + 1)
	if err != nil {
		f.t.Fatal(err)
	}
	var lc *chain.Certificate
	if head.Height > 0 {
		lc = f.cert(head)
	}
	b, ex, err := f.l.Build(BlockTemplate{Time: f.now, Proposer: proposer, Reveal: reveal, LastCommit: lc}, txs)
	if err != nil {
		f.t.Fatal(err)
	}
	if len(ex.Dropped) > 0 {
		f.t.Fatalf("dropped: %v", ex.Dropped[0].Err)
	}
	if err := f.l.Commit(b, f.cert(b.Header)); err != nil {
		f.t.Fatal(err)
	}
	return b, ex.Receipts
}

// code runs tx alone in a block and returns its receipt's code.
func (f *govChain) code(tx *chain.Tx) string {
	f.t.Helper()
	_, recs := f.block(tx)
	return recs[0].Code
}

func (f *govChain) proposal(id common.Hash) *chain.Proposal {
	f.t.Helper()
	p, ok := f.l.State().Proposal(id)
	if !ok {
		f.t.Fatalf("proposal %s not found", id)
	}
	return p
}

// TestGovernanceApprovalAndEffect: a proposal is approved by the vote that
// brings its approvals above 2/3 of the power, not before; the new set is
// in force from approval height + 2, its hash in that header, and from
// then on the added validator proposes and must sign certificates.
func TestGovernanceApprovalAndEffect(t *testing.T) {
	f := newGovChain(t, 4)
	genesisSet := f.l.ValidatorsAt(1)
	add := f.propose(0, f.candidate(4, 1))
	if c := f.code(add); c != "" {
		t.Fatalf("propose: %s", c)
	}
	id := add.Hash()
	if p := f.proposal(id); p.Status != chain.ProposalOpen || len(p.Approvals) != 1 {
		t.Fatalf("after propose: %+v", p)
	}
	if c := f.code(f.vote(1, id)); c != "" {
		t.Fatalf("vote 1: %s", c)
	}
	if p := f.proposal(id); p.Status != chain.ProposalOpen { // 2 of 4: not above 2/3
		t.Fatalf("approved with half the power: %+v", p)
	}
	b, recs := f.block(f.vote(2, id))
	if recs[0].Code != "" {
		t.Fatalf("vote 2: %s", recs[0].Code)
	}
	approvedAt := b.Height()
	p := f.proposal(id)
	if p.Status != chain.ProposalApproved || p.ApprovedAt != approvedAt || p.EffectiveAt != approvedAt+2 {
		t.Fatalf("after the third approval: %+v (block %d)", p, approvedAt)
	}
	if !hasEvent(recs[0], chain.EventProposalApproved) {
		t.Fatalf("no approval event in %+v", recs[0].Events)
	}
	if got := f.l.ValidatorsAt(approvedAt + 1); got.Hash() != genesisSet.Hash() {
		t.Fatal("the set changed before the effective height")
	}
	grown := f.l.ValidatorsAt(approvedAt + 2)
	if grown.Size() != 5 {
		t.Fatalf("set at the effective height has %d validators", grown.Size())
	}
	// The store's lookup (what a snapshot-restored node has) agrees.
	for _, h := range []uint64{0, approvedAt + 1, approvedAt + 2, approvedAt + 50} {
		got, err := f.l.DB().ValidatorsAt(f.l.GenesisValidators(), h)
		if err != nil || got.Hash() != f.l.ValidatorsAt(h).Hash() {
			t.Fatalf("DB.ValidatorsAt(%d) = %v, %v", h, got, err)
		}
	}
	if hist, _ := SetHistory(f.l.DB().StateKV()); len(hist) != 1 || hist[0] != approvedAt+2 {
		t.Fatalf("set history %v", hist)
	}
	f.block() // approvedAt+1: its commit proves the set of approvedAt+2
	checkSetChangeProof(t, f, genesisSet, approvedAt+2, grown)
	eb, erecs := f.block()
	if eb.Height() != p.EffectiveAt || eb.Header.ValidatorsHash != grown.Hash() {
		t.Fatalf("block %d carries validators hash %s, want the new set's %s", eb.Height(), eb.Header.ValidatorsHash, grown.Hash())
	}
	if !hasEvent(erecs[len(erecs)-1], chain.EventProposalApplied) || f.proposal(id).Status != chain.ProposalApplied {
		t.Fatal("the proposal was not applied at its effective height")
	}
	// The new validator holds the key at some height soon: blocks go on
	// with it proposing and signing.
	newcomer := addr(govKey(4))
	proposed := false
	for i := 0; i < 40 && !proposed; i++ {
		b, _ := f.block()
		proposed = b.Header.Proposer == newcomer
	}
	if !proposed {
		t.Fatal("the added validator never held the key in 40 blocks")
	}
	// A certificate without the newcomer's power no longer verifies when
	// the rest hold no more than 2/3 … here 4 of 5 still do; check the set
	// of the head verifies a certificate only with its own members.
	head := f.l.Head()
	old := f.cert(head)
	if err := old.Verify(f.g.ChainID, genesisSet); err == nil {
		t.Fatal("a certificate signed by the new set verified against the genesis set")
	}
}

func hasEvent(r *chain.Receipt, kind string) bool {
	for _, ev := range r.Events {
		if ev.Kind == kind {
			return true
		}
	}
	return false
}

// TestGovernanceRejections: every rule of proposals and votes, each with
// its stable code.
func TestGovernanceRejections(t *testing.T) {
	f := newGovChain(t, 4)
	outsider := f.customerKey()
	open := f.propose(0, chain.Change{Kind: chain.ChangeSetPower, Address: addr(govKey(3)), Power: 2})
	if c := f.code(open); c != "" {
		t.Fatal(c)
	}
	rows := []struct {
		name string
		tx   func() *chain.Tx
		code string
	}{
		{"proposer not a validator", func() *chain.Tx {
			return f.tx(outsider, chain.GovPropose{Change: f.candidate(5, 1), Deadline: f.now + 60_000})
		}, "not_validator"},
		{"voter not a validator", func() *chain.Tx { return f.tx(outsider, chain.GovVote{Proposal: open.Hash()}) }, "not_validator"},
		{"zero power", func() *chain.Tx { return f.propose(1, f.candidate(5, 0)) }, "zero_power"},
		{"set power zero", func() *chain.Tx {
			return f.propose(1, chain.Change{Kind: chain.ChangeSetPower, Address: addr(govKey(2)), Power: 0})
		}, "zero_power"},
		{"duplicate validator", func() *chain.Tx {
			c := f.candidate(5, 1)
			c.Address = addr(govKey(1))
			return f.propose(1, c)
		}, "validator_exists"},
		{"rotate onto a validator", func() *chain.Tx {
			c := f.candidate(5, 1)
			c.Kind, c.Address, c.NewAddress = chain.ChangeRotateKey, addr(govKey(1)), addr(govKey(2))
			return f.propose(1, c)
		}, "validator_exists"},
		{"remove unknown", func() *chain.Tx {
			return f.propose(1, chain.Change{Kind: chain.ChangeRemoveValidator, Address: addr(govKey(6))})
		}, "unknown_validator"},
		{"below four validators", func() *chain.Tx {
			return f.propose(1, chain.Change{Kind: chain.ChangeRemoveValidator, Address: addr(govKey(1))})
		}, "validator_set_too_small"},
		{"second proposal on one target", func() *chain.Tx {
			return f.propose(1, chain.Change{Kind: chain.ChangeSetPower, Address: addr(govKey(3)), Power: 3})
		}, "proposal_pending"},
		{"deadline in the past", func() *chain.Tx {
			return f.tx(govKey(1), chain.GovPropose{Change: f.candidate(5, 1), Deadline: f.now - 1})
		}, "bad_deadline"},
		{"deadline too far", func() *chain.Tx {
			return f.tx(govKey(1), chain.GovPropose{Change: f.candidate(5, 1), Deadline: f.now + uint64((31 * 24 * time.Hour).Milliseconds())})
		}, "bad_deadline"},
		{"malformed change", func() *chain.Tx {
			return f.propose(1, chain.Change{Kind: 99, Address: addr(govKey(5))})
		}, "malformed"},
		{"add validator without hash chain", func() *chain.Tx {
			return f.propose(1, chain.Change{Kind: chain.ChangeAddValidator, Address: addr(govKey(5)), Power: 1})
		}, "malformed"},
		{"vote twice (the proposer's own)", func() *chain.Tx { return f.vote(0, open.Hash()) }, "already_voted"},
		{"vote on nothing", func() *chain.Tx { return f.vote(1, common.Hash{7}) }, "proposal_not_found"},
		{"add an existing bank", func() *chain.Tx {
			return f.propose(1, chain.Change{Kind: chain.ChangeAddBank, Address: f.g.Banks[0].Address, Name: "again"})
		}, "bank_exists"},
		{"remove an unknown bank", func() *chain.Tx {
			return f.propose(1, chain.Change{Kind: chain.ChangeRemoveBank, Address: addr(outsider)})
		}, "unknown_bank"},
	}
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			if got := f.code(row.tx()); got != row.code {
				t.Fatalf("code %q, want %q", got, row.code)
			}
		})
	}
	// Approve it, then a late vote finds it closed.
	f.block(f.vote(1, open.Hash()), f.vote(2, open.Hash()))
	if c := f.code(f.vote(3, open.Hash())); c != "proposal_not_open" {
		t.Fatalf("vote on an approved proposal: %q", c)
	}
}

// customerKey is the genesis customer's key: a registered account that is
// not a validator.
func (f *govChain) customerKey() *ecdsa.PrivateKey { return devnet.Key(testSeed, "customer", 0) }

// TestGovernanceDeadline: a vote after the deadline is refused
// (proposal_expired) while it is still open, the first block past the
// deadline expires it, and then its target is free for a new proposal.
func TestGovernanceDeadline(t *testing.T) {
	f := newGovChain(t, 4)
	ch := f.candidate(4, 1)
	p := f.tx(govKey(0), chain.GovPropose{Change: ch, Deadline: f.now + 2500})
	if c := f.code(p); c != "" {
		t.Fatal(c)
	}
	f.block()
	// Vote and expiry in one block past the deadline: the chain expires the
	// proposal before the transactions run.
	f.now += 1000
	_, recs := f.block(f.vote(1, p.Hash()))
	if recs[0].Code != "proposal_expired" {
		t.Fatalf("vote past the deadline: %q", recs[0].Code)
	}
	if !hasEvent(recs[len(recs)-1], chain.EventProposalExpired) || f.proposal(p.Hash()).Status != chain.ProposalExpired {
		t.Fatal("proposal not expired in the first block past its deadline")
	}
	if c := f.code(f.propose(1, ch)); c != "" {
		t.Fatalf("new proposal on the freed target: %q", c)
	}
}

// TestGovernanceVoteExpiredBeforeSweep: applyGovVote itself refuses a vote
// past the deadline on a proposal still listed open (proposal_expired).
func TestGovernanceVoteExpiredBeforeSweep(t *testing.T) {
	f := newGovChain(t, 4)
	p := f.tx(govKey(0), chain.GovPropose{Change: f.candidate(4, 1), Deadline: f.now + 1500})
	f.block(p)
	st := f.l.State()
	st.SetBlock(BlockContext{Height: 99, Time: f.now + 10_000, Params: f.g.Params, GenesisValidators: f.l.GenesisValidators()})
	err := applyGovVote(st, txContext{sender: addr(govKey(1))}, chain.GovVote{Proposal: p.Hash()})
	if chain.CodeOf(err) != "proposal_expired" {
		t.Fatalf("got %v", err)
	}
}

// TestGovernanceEffectiveHeights: the effect is at approval + max(2,
// governance_delay), and changes approved in one block stack in order.
func TestGovernanceEffectiveHeights(t *testing.T) {
	for _, row := range []struct {
		delay, want uint64
	}{{0, 2}, {1, 2}, {2, 2}, {5, 5}} {
		t.Run(fmt.Sprintf("delay %d", row.delay), func(t *testing.T) {
			f := newGovChain(t, 4, func(g *chain.Genesis) { g.Params.GovernanceDelay = row.delay })
			a := f.propose(0, f.candidate(4, 1))
			b := f.propose(1, chain.Change{Kind: chain.ChangeSetPower, Address: addr(govKey(3)), Power: 3})
			f.block(a, b)
			blk, recs := f.block(f.vote(1, a.Hash()), f.vote(2, a.Hash()), f.vote(0, b.Hash()), f.vote(2, b.Hash()))
			for i, r := range recs[:4] {
				if r.Code != "" {
					t.Fatalf("vote %d: %s", i, r.Code)
				}
			}
			for _, id := range []common.Hash{a.Hash(), b.Hash()} {
				if p := f.proposal(id); p.EffectiveAt != blk.Height()+row.want {
					t.Fatalf("effective at %d, want %d", p.EffectiveAt, blk.Height()+row.want)
				}
			}
			vs := f.l.ValidatorsAt(blk.Height() + row.want)
			v3, _ := vs.Get(addr(govKey(3)))
			if vs.Size() != 5 || v3.Power != 3 {
				t.Fatalf("both changes must be in the new set: size %d, power %d", vs.Size(), v3.Power)
			}
			if f.l.ValidatorsAt(blk.Height()+row.want-1).Size() != 4 {
				t.Fatal("the set changed a block early")
			}
			for f.l.Head().Height < blk.Height()+row.want+3 {
				f.block() // the chain runs on across the change
			}
		})
	}
}

// TestGovernanceRotateRemoveBanks: a key rotated keeps its power under the
// new address, which then proposes with its own hash chain; a validator
// removed leaves the set (not below the floor); a bank added can register
// accounts, a bank removed no longer can.
func TestGovernanceRotateRemoveBanks(t *testing.T) {
	f := newGovChain(t, 5)
	approve := func(tx *chain.Tx, voters ...int) uint64 {
		f.t.Helper()
		txs := []*chain.Tx{tx}
		for _, v := range voters {
			txs = append(txs, f.vote(v, tx.Hash()))
		}
		_, recs := f.block(txs...)
		for i, r := range recs[:len(txs)] {
			if r.Code != "" {
				t.Fatalf("tx %d: %s", i, r.Code)
			}
		}
		return f.proposal(tx.Hash()).EffectiveAt
	}
	hc := govHashChain(6)
	rot := chain.Change{Kind: chain.ChangeRotateKey, Address: addr(govKey(4)), NewAddress: addr(govKey(6)), RevealTip: hc.Tip(), RevealLength: hc.Length()}
	e := approve(f.propose(0, rot), 1, 2, 3)
	vs := f.l.ValidatorsAt(e)
	if _, ok := vs.Get(addr(govKey(4))); ok {
		t.Fatal("old key still in the set")
	}
	if v, ok := vs.Get(addr(govKey(6))); !ok || v.Power != 1 || v.RevealTip != hc.Tip() {
		t.Fatalf("new key %+v ok %v", v, ok)
	}
	e = approve(f.propose(0, chain.Change{Kind: chain.ChangeRemoveValidator, Address: addr(govKey(3))}), 1, 2, 6-2) // voter 4 is still in force until e
	if f.l.ValidatorsAt(e).Size() != 4 {
		t.Fatal("removal did not shrink the set")
	}
	for f.l.Head().Height < e {
		f.block()
	}
	if c := f.code(f.propose(0, chain.Change{Kind: chain.ChangeRemoveValidator, Address: addr(govKey(2))})); c != "validator_set_too_small" {
		t.Fatalf("removal to 3: %q", c)
	}
	rotated := addr(govKey(6))
	for i := 0; i < 40 && f.l.Head().Proposer != rotated; i++ {
		f.block()
	}
	if f.l.Head().Proposer != rotated {
		t.Fatal("the rotated key never proposed")
	}

	bank := devnet.Key(testSeed, "bank", 7)
	e = approve(f.propose(0, chain.Change{Kind: chain.ChangeAddBank, Address: addr(bank), Name: "C"}), 1, 2)
	if _, ok := f.l.State().Bank(addr(bank)); ok || f.l.Head().Height >= e {
		t.Fatalf("bank added before its effective height %d (head %d)", e, f.l.Head().Height)
	}
	for f.l.Head().Height < e {
		f.block()
	}
	if c := f.code(f.tx(bank, chain.RegisterAccount{Account: common.Address{0xcd}})); c != "" {
		t.Fatalf("added bank registers: %q", c)
	}
	e = approve(f.propose(0, chain.Change{Kind: chain.ChangeRemoveBank, Address: addr(bank)}), 1, 2)
	for f.l.Head().Height < e {
		f.block()
	}
	if c := f.code(f.tx(bank, chain.RegisterAccount{Account: common.Address{0xce}})); c != "not_bank" {
		t.Fatalf("removed bank registers: %q", c)
	}
}

// TestEvidenceOpensRemoval: accepted evidence opens the offender's removal
// under a deterministic id, and the other validators' votes remove it.
func TestEvidenceOpensRemoval(t *testing.T) {
	f := newGovChain(t, 6)
	off := govKey(4)
	vote := func(block common.Hash) chain.SignedVote {
		v := chain.SignedVote{Type: chain.VotePrecommit, Height: 3, Round: 0, BlockHash: block, Validator: addr(off)}
		sig, _ := crypto.Sign(v.SignHash(f.g.ChainID).Bytes(), off)
		v.Sig = sig
		return v
	}
	if c := f.code(f.tx(f.customerKey(), chain.Evidence{A: vote(common.Hash{1}), B: vote(common.Hash{2})})); c != "" {
		t.Fatal(c)
	}
	id := chain.EvidenceProposalID(chain.EvidenceKey(addr(off), 3, 0, chain.VotePrecommit))
	p := f.proposal(id)
	if p.Change.Kind != chain.ChangeRemoveValidator || p.Change.Address != addr(off) || len(p.Approvals) != 0 {
		t.Fatalf("evidence proposal %+v", p)
	}
	_, recs := f.block(f.vote(0, id), f.vote(1, id), f.vote(2, id), f.vote(3, id), f.vote(5, id))
	for i, r := range recs[:5] {
		if r.Code != "" {
			t.Fatalf("vote %d: %s", i, r.Code)
		}
	}
	if p := f.proposal(id); p.Status != chain.ProposalApproved {
		t.Fatalf("after 5 of 6: %+v", p)
	}
	if _, ok := f.l.ValidatorsAt(f.proposal(id).EffectiveAt).Get(addr(off)); ok {
		t.Fatal("offender still in the set at the effective height")
	}
	// Proposal evidence: two proposals by one holder for one height/round.
	offP := govKey(3)
	prop := func(block common.Hash) chain.SignedProposal {
		sp := chain.SignedProposal{Height: 9, Round: 1, BlockHash: block, Proposer: addr(offP)}
		sig, _ := crypto.Sign(sp.SignHash(f.g.ChainID).Bytes(), offP)
		sp.Sig = sig
		return sp
	}
	ev := chain.ProposalEvidence{A: prop(common.Hash{1}), B: prop(common.Hash{2})}
	if c := f.code(f.tx(f.customerKey(), ev)); c != "" {
		t.Fatal(c)
	}
	if c := f.code(f.tx(f.customerKey(), ev)); c != "evidence_known" {
		t.Fatalf("second copy: %q", c)
	}
	pid := chain.EvidenceProposalID(chain.ProposalEvidenceKey(addr(offP), 9, 1))
	if p := f.proposal(pid); p.Change.Address != addr(offP) {
		t.Fatalf("proposal evidence opened %+v", p)
	}
	who := addr(offP)
	perecs, err := f.l.ProposalEvidenceRecords(&who, 10)
	if err != nil || len(perecs) != 1 || perecs[0].Evidence.A.BlockHash != (common.Hash{1}) || perecs[0].Submitter != addr(f.customerKey()) {
		t.Fatalf("proposal evidence records %+v, %v", perecs, err)
	}
	if votes, _ := f.l.EvidenceRecords(&who, 10); len(votes) != 0 {
		t.Fatalf("proposal evidence listed as vote evidence: %+v", votes)
	}
}

// checkSetChangeProof: the proof kept for the change at e, with the header
// and certificate of e-1, gives a verifier without state the new set; a
// wrong trusted set, a forged certificate or foreign proof nodes are
// refused.
func checkSetChangeProof(t *testing.T, f *govChain, trusted *chain.ValidatorSet, e uint64, want *chain.ValidatorSet) {
	t.Helper()
	nodes, ok, err := f.l.DB().SetChangeProof(e)
	if err != nil || !ok {
		t.Fatalf("no set-change proof for %d: %v", e, err)
	}
	prev, err := f.l.DB().BlockByHeight(e - 1)
	if err != nil {
		t.Fatal(err)
	}
	cert := f.cert(prev.Header)
	got, err := VerifySetChange(f.g.ChainID, trusted, prev.Header, cert, nodes)
	if err != nil || got.Hash() != want.Hash() {
		t.Fatalf("verified set %v, %v; want %s", got, err, want.Hash())
	}
	if _, err := VerifySetChange(f.g.ChainID, want, prev.Header, cert, nodes); err == nil {
		t.Fatal("verified against the wrong trusted set")
	}
	bad := *cert
	bad.Sigs = cert.Sigs[:1]
	if _, err := VerifySetChange(f.g.ChainID, trusted, prev.Header, &bad, nodes); err == nil {
		t.Fatal("verified with a certificate below quorum")
	}
	if _, err := VerifySetChange(f.g.ChainID, trusted, prev.Header, cert, nodes[:len(nodes)-1]); err == nil {
		t.Fatal("verified with a truncated proof")
	}
	if _, ok, _ := f.l.DB().SetChangeProof(e - 1); ok {
		t.Fatal("a proof kept for a height that is no change")
	}
}
