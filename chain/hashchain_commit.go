package chain

import "github.com/ethereum/go-ethereum/common"

// CommitHashChain is a validator committing the tip of its next hash chain
// before the current one runs out. It is sent from the validator's own
// account; the chain switches to it when the current chain is spent.
type CommitHashChain struct {
	Tip    common.Hash
	Length uint64
}

func (CommitHashChain) TxType() TxType { return TxCommitHashChain }

func applyCommitHashChain(st *State, c txContext, h CommitHashChain) error {
	vstate, ok := st.Validator(c.sender)
	if !ok {
		return reject(ErrNotValidator, "%s", c.sender)
	}
	if h.Tip == (common.Hash{}) || h.Length == 0 {
		return reject(ErrMalformed, "next hash chain needs a tip and a positive length")
	}
	if vstate.NextTip != (common.Hash{}) {
		return reject(ErrHashChainPending, "next chain %s is already committed", vstate.NextTip)
	}
	vstate.NextTip, vstate.NextLength = h.Tip, h.Length
	st.SetValidator(c.sender, vstate)
	return nil
}
