package consensus

import (
	"fmt"

	"github.com/ethereum/go-ethereum/common"

	"github.com/sovereign-ledger/sovereign/chain"
)

// Evidence is proof that one validator signed two different votes of the
// same type at the same height and round. Any node may submit it on chain.
type Evidence struct {
	A, B *Vote
}

// Verify checks that e is genuine evidence against a validator of vs, by
// the chain's own rule for evidence transactions.
func (e Evidence) Verify(chainID string, vs *chain.ValidatorSet) error {
	if e.A == nil || e.B == nil {
		return fmt.Errorf("evidence: missing vote")
	}
	ce := e.Chain()
	isValidator := func(a common.Address) bool { _, ok := vs.Get(a); return ok }
	if err := ce.Verify(chainID, isValidator, chain.RecoverSigner); err != nil {
		return fmt.Errorf("evidence: %w", err)
	}
	return nil
}

// Chain is the evidence as the body of an evidence transaction.
func (e Evidence) Chain() chain.Evidence {
	return chain.Evidence{A: e.A.signed(), B: e.B.signed()}
}

func (v *Vote) signed() chain.SignedVote {
	return chain.SignedVote{Type: v.Type, Height: v.Height, Round: v.Round, BlockHash: v.BlockHash, Validator: v.Validator, Sig: v.Sig}
}

// Offender is the validator the evidence accuses.
func (e Evidence) Offender() string {
	if e.A == nil {
		return ""
	}
	return e.A.Validator.Hex()
}
