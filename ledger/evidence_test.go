package ledger

import (
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/sovereign-ledger/sovereign/chain"
)

func (f *fixture) signedVote(t chain.VoteType, height uint64, round uint32, block common.Hash) chain.SignedVote {
	v := chain.SignedVote{Type: t, Height: height, Round: round, BlockHash: block, Validator: addr(f.validator)}
	sig, err := crypto.Sign(v.SignHash(f.g.ChainID).Bytes(), f.validator)
	if err != nil {
		f.t.Fatal(err)
	}
	v.Sig = sig
	return v
}

// TestEvidence: genuine equivocation evidence is recorded once, from any
// account (the validator's own included); anything else is refused with
// bad_evidence, and a second copy with evidence_known.
func TestEvidence(t *testing.T) {
	f := newFixture(t, 2)
	alice := f.customers[0]
	a := f.signedVote(chain.VotePrecommit, 7, 1, common.Hash{1})
	b := f.signedVote(chain.VotePrecommit, 7, 1, common.Hash{2})
	otherRound := f.signedVote(chain.VotePrecommit, 7, 2, common.Hash{2})
	forged := b
	forged.Sig = append([]byte(nil), a.Sig...)
	stranger := b
	stranger.Validator = addr(alice)

	rows := []struct {
		name string
		ev   chain.Evidence
		code string
	}{
		{"genuine", chain.Evidence{A: a, B: b}, ""},
		{"same offence again", chain.Evidence{A: b, B: a}, "evidence_known"},
		{"votes agree", chain.Evidence{A: a, B: a}, "bad_evidence"},
		{"different rounds", chain.Evidence{A: a, B: otherRound}, "bad_evidence"},
		{"forged signature", chain.Evidence{A: a, B: forged}, "bad_evidence"},
		{"not a validator", chain.Evidence{A: stranger, B: stranger}, "bad_evidence"},
	}
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			_, ex := f.block(f.tx(alice, row.ev))
			if got := ex.Receipts[0].Code; got != row.code {
				t.Fatalf("code %q, want %q", got, row.code)
			}
		})
	}
	st := f.ledger.State()
	rec, ok := load[chain.EvidenceRecord](st, chain.EvidenceKey(addr(f.validator), 7, 1, chain.VotePrecommit))
	if !ok || rec.Submitter != addr(alice) {
		t.Fatalf("evidence record %+v, ok %v", rec, ok)
	}
	// the validator has an account of its own, so a node can submit evidence
	if _, ok := st.Account(addr(f.validator)); !ok {
		t.Fatal("validator has no account")
	}
}
