package ledger

import (
	"github.com/ethereum/go-ethereum/common"
	"github.com/sovereign-ledger/sovereign/chain"
)

func applyEvidence(st *State, c txContext, e chain.Evidence) error {
	isValidator := func(a common.Address) bool { _, ok := st.Validator(a); return ok }
	if err := e.Verify(c.chainID, isValidator, chain.RecoverSigner); err != nil {
		return err
	}
	key := chain.EvidenceKey(e.A.Validator, e.A.Height, e.A.Round, e.A.Type)
	if _, seen := load[chain.EvidenceRecord](st, key); seen {
		return chain.Reject(chain.ErrEvidenceKnown, "%s at height %d round %d", e.A.Validator, e.A.Height, e.A.Round)
	}
	st.put(key, &chain.EvidenceRecord{Evidence: e, Submitter: c.sender, TxHash: c.hash})
	openEvidenceProposal(st, e.A.Validator, key)
	return nil
}

// applyProposalEvidence is applyEvidence for two conflicting proposals
// signed by one key holder.
func applyProposalEvidence(st *State, c txContext, e chain.ProposalEvidence) error {
	isValidator := func(a common.Address) bool { _, ok := st.Validator(a); return ok }
	if err := e.Verify(c.chainID, isValidator, chain.RecoverSigner); err != nil {
		return err
	}
	key := chain.ProposalEvidenceKey(e.A.Proposer, e.A.Height, e.A.Round)
	if _, seen := load[chain.ProposalEvidenceRecord](st, key); seen {
		return chain.Reject(chain.ErrEvidenceKnown, "proposals by %s at height %d round %d", e.A.Proposer, e.A.Height, e.A.Round)
	}
	st.put(key, &chain.ProposalEvidenceRecord{Evidence: e, Submitter: c.sender, TxHash: c.hash})
	openEvidenceProposal(st, e.A.Proposer, key)
	return nil
}
