package proof

import (
	"errors"
	"testing"
	"time"

	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/node/nodetest"
	"github.com/sovereign-ledger/sovereign/rpc"
)

// TestProofAcrossSetChange: after governance changed the validator set, a
// proof of a later head is certified by the new set, which FollowSet
// reaches from the genesis set through the node's set changes; the genesis
// set alone no longer certifies it.
func TestProofAcrossSetChange(t *testing.T) {
	f := newFixture(t)
	f.chain.AutoSeal = true
	g, _ := nodetest.Genesis()
	v := nodetest.Addr(f.keys.Validator)
	tx, err := f.c.Propose(f.ctx, f.keys.Validator, chain.Change{Kind: chain.ChangeSetPower, Address: v, Power: 3}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	p, err := f.c.Proposal(f.ctx, tx.Hash())
	if err != nil || p.Status != "approved" {
		t.Fatalf("proposal %+v %v", p, err)
	}
	alice := nodetest.Addr(f.keys.Alice)
	for i := 0; i < 3; i++ { // blocks past the effective height
		if _, err := f.c.Transfer(f.ctx, f.keys.Alice, nodetest.Addr(f.keys.Bob), "CNY", "1"); err != nil {
			t.Fatal(err)
		}
	}
	pa, err := FetchAccount(f.ctx, f.c, alice, g)
	if err != nil {
		t.Fatal(err)
	}
	if !pa.Certified || pa.Header.Height < p.EffectiveAt {
		t.Fatalf("proven at %d (effective %d), certified %v", pa.Header.Height, p.EffectiveAt, pa.Certified)
	}
	raw, err := f.c.Proof(f.ctx, rpc.ProofQuery{Account: &alice})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := CheckAccount(raw, alice, g); !errors.Is(err, ErrBadProof) {
		t.Fatalf("the genesis set certified a header past the change: %v", err)
	}
	before, err := FollowSet(f.ctx, f.c, g, p.EffectiveAt-1)
	if err != nil || before.Hash() != g.ValidatorSet().Hash() {
		t.Fatalf("set before the change: %v", err)
	}
	after, err := FollowSet(f.ctx, f.c, g, p.EffectiveAt)
	if err != nil {
		t.Fatal(err)
	}
	if val, _ := after.Get(v); val.Power != 3 {
		t.Fatalf("set after the change: %+v", after.Validators)
	}
}
