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
