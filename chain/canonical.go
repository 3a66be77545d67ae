package chain

import (
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"
)

// Every byte that anyone signs on this chain is defined in this file, each as
// the Keccak-256 of an RLP list that starts with its own domain tag, so a
// signature over one kind can never be replayed as another. A test pins each
// to a golden value (canonical_test.go): changing one is a fork.

// VoteSignHash is the one canonical form that a validator signs for a vote.
// Keeping it here, beside the certificate, means consensus and the auditor
// check exactly the same bytes.
func VoteSignHash(chainID string, t VoteType, height uint64, round uint32, block common.Hash) common.Hash {
	return rlpHash([]any{"sovereign-vote", chainID, t, height, round, block})
}

// ProposalSignHash is what a key holder signs when proposing block at
// (height, round); polRound is Tendermint's proof-of-lock round (or -1 as
// 0 with hasPOL false).
func ProposalSignHash(chainID string, height uint64, round uint32, polRound int32, block common.Hash) common.Hash {
	return rlpHash([]any{"sovereign-proposal", chainID, height, round, uint64(int64(polRound) + 1), block})
}

// SigningHash is what every signer of the transaction signs: chain id, type,
// nonce and payload, without signatures: the RLP list
// ["sovereign-tx", chainID, type, nonce, payload]. It is written field by
// field rather than through rlpHash's reflection because every transaction's
// recovery needs it (an audit hashes millions); TestSigningHashMatchesRLP
// pins it to rlpHash of that list.
func (tx *Tx) SigningHash() common.Hash {
	d := crypto.NewKeccakState()
	w := rlp.NewEncoderBuffer(d)
	list := w.List()
	w.WriteString(txSigningTag)
	w.WriteString(tx.env.ChainID)
	w.WriteUint64(uint64(tx.env.Type))
	w.WriteUint64(tx.env.Nonce)
	w.WriteBytes(tx.env.Payload)
	w.ListEnd(list)
	_ = w.Flush() // writes into the hash, which cannot fail
	var h common.Hash
	_, _ = d.Read(h[:])
	return h
}

const txSigningTag = "sovereign-tx"

// SignHash is what the validator signed.
func (v *SignedVote) SignHash(chainID string) common.Hash {
	return VoteSignHash(chainID, v.Type, v.Height, v.Round, v.BlockHash)
}

// SignHash is what each validator in c signed: its precommit for the block.
func (c *Certificate) SignHash(chainID string) common.Hash {
	return VoteSignHash(chainID, VotePrecommit, c.Height, c.Round, c.BlockHash)
}
