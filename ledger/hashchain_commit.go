package ledger

import (
	"github.com/ethereum/go-ethereum/common"
	"github.com/sovereign-ledger/sovereign/chain"
)

func applyCommitHashChain(st *State, c txContext, h chain.CommitHashChain) error {
	vstate, _ := st.Validator(c.sender)
	if vstate.NextTip != (common.Hash{}) {
		return chain.Reject(chain.ErrHashChainPending, "next chain %s is already committed", vstate.NextTip)
	}
	vstate.NextTip, vstate.NextLength = h.Tip, h.Length
	st.SetValidator(c.sender, vstate)
	return nil
}
