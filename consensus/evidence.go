package consensus

import (
	"fmt"

	"github.com/ethereum/go-ethereum/common"

	"github.com/sovereign-ledger/sovereign/chain"
)

// Evidence is proof that one validator signed two different votes of the
// same type at the same height and round, or (ProposalA and ProposalB set,
// A and B nil) that one key holder signed two proposals of different blocks
// for one height and round. Any node may submit it on chain.
type Evidence struct {
	A, B *Vote

	ProposalA, ProposalB *Proposal
	Holder               common.Address // who signed both proposals: the round's key holder
}

// Body is the evidence as a transaction body: chain.Evidence for votes,
// chain.ProposalEvidence for proposals.
func (e Evidence) Body() chain.Body {
	if e.ProposalA != nil && e.ProposalB != nil {
		return chain.ProposalEvidence{A: e.ProposalA.signed(e.Holder), B: e.ProposalB.signed(e.Holder)}
	}
	return e.Chain()
}

// Key is the state key the evidence is recorded under: one per offence.
func (e Evidence) Key() []byte {
	if p := e.ProposalA; p != nil {
		return chain.ProposalEvidenceKey(e.Holder, p.Height, p.Round)
	}
	if e.A == nil {
		return nil
	}
	return chain.EvidenceKey(e.A.Validator, e.A.Height, e.A.Round, e.A.Type)
}

func (p *Proposal) signed(holder common.Address) chain.SignedProposal {
	return chain.SignedProposal{Height: p.Height, Round: p.Round, POL: uint64(int64(p.POLRound) + 1), BlockHash: p.Block.Hash(),
		Proposer: holder, Sig: p.Sig}
}

// Verify checks that e is genuine evidence against a validator of vs, by
// the chain's own rule for evidence transactions.
func (e Evidence) Verify(chainID string, vs *chain.ValidatorSet) error {
	isValidator := func(a common.Address) bool { _, ok := vs.Get(a); return ok }
	var err error
	switch {
	case e.ProposalA != nil && e.ProposalB != nil:
		pe := e.Body().(chain.ProposalEvidence)
		err = pe.Verify(chainID, isValidator, chain.RecoverSigner)
	case e.A != nil && e.B != nil:
		ce := e.Chain()
		err = ce.Verify(chainID, isValidator, chain.RecoverSigner)
	default:
		return fmt.Errorf("evidence: missing vote or proposal")
	}
	if err != nil {
		return fmt.Errorf("evidence: %w", err)
	}
	return nil
}

// OffenderAddress is the address of the validator the evidence accuses.
func (e Evidence) OffenderAddress() common.Address {
	if e.ProposalA != nil {
		return e.Holder
	}
	if e.A == nil {
		return common.Address{}
	}
	return e.A.Validator
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
	if e.ProposalA != nil {
		return e.Holder.Hex()
	}
	if e.A == nil {
		return ""
	}
	return e.A.Validator.Hex()
}
