package consensus

import (
	"fmt"

	"github.com/sovereign-ledger/sovereign/chain"
)

// Evidence is proof that one validator signed two different votes of the
// same type at the same height and round. Any node may submit it on chain.
type Evidence struct {
	A, B *Vote
}

// Verify checks that e is genuine evidence against a validator of vs.
func (e Evidence) Verify(chainID string, vs *chain.ValidatorSet) error {
	a, b := e.A, e.B
	if a == nil || b == nil {
		return fmt.Errorf("evidence: missing vote")
	}
	if a.Validator != b.Validator || a.Type != b.Type || a.Height != b.Height || a.Round != b.Round {
		return fmt.Errorf("evidence: votes are not for the same validator, type, height and round")
	}
	if a.BlockHash == b.BlockHash {
		return fmt.Errorf("evidence: votes do not conflict")
	}
	if _, ok := vs.Get(a.Validator); !ok {
		return fmt.Errorf("evidence: %w: %s", ErrUnknownValidator, a.Validator)
	}
	for _, v := range []*Vote{a, b} {
		if err := verifyVoteSig(chainID, v); err != nil {
			return fmt.Errorf("evidence: %w", err)
		}
	}
	return nil
}

// Offender is the validator the evidence accuses.
func (e Evidence) Offender() string {
	if e.A == nil {
		return ""
	}
	return e.A.Validator.Hex()
}
